import { reject } from '../shared/errors.ts';
import type { ProjectEvent } from './events.ts';

/** What a project's decisions need to know, folded from its own stream. */
export interface ProjectState {
  exists: boolean;
  name: string;
  storeContent: boolean;
  apiKeys: Map<string, { revoked: boolean }>;
  tokens: Set<string>;
}

export const initialProjectState = (): ProjectState => ({
  exists: false, name: '', storeContent: false, apiKeys: new Map(), tokens: new Set(),
});

export function evolveProject(state: ProjectState, event: ProjectEvent): ProjectState {
  switch (event.type) {
    case 'ProjectCreated':
      return { ...state, exists: true, name: event.data.name, storeContent: event.data.storeContent };
    case 'ProjectSettingsChanged':
      return { ...state, storeContent: event.data.storeContent };
    case 'DashboardTokenIssued':
      return { ...state, tokens: new Set(state.tokens).add(event.data.tokenId) };
    case 'ApiKeyIssued':
      return { ...state, apiKeys: new Map(state.apiKeys).set(event.data.keyId, { revoked: false }) };
    case 'ApiKeyRevoked':
      return { ...state, apiKeys: new Map(state.apiKeys).set(event.data.keyId, { revoked: true }) };
  }
}

/** Limits that keep one project's stream and read models bounded. */
export const MAX_API_KEYS_PER_PROJECT = 100;
export const MAX_TOKENS_PER_PROJECT = 100;

export type ProjectCommand =
  | { type: 'CreateProject'; projectId: string; name: string; storeContent: boolean }
  | { type: 'ChangeProjectSettings'; storeContent: boolean }
  | { type: 'IssueDashboardToken'; tokenId: string; name: string; tokenHash: string }
  | { type: 'IssueApiKey'; keyId: string; name: string; keyHash: string; prefix: string }
  | { type: 'RevokeApiKey'; keyId: string };

export function decideProject(state: ProjectState, command: ProjectCommand, projectId: string): ProjectEvent[] {
  if (command.type === 'CreateProject') {
    if (state.exists) reject('conflict', 'project already exists');
    return [{ type: 'ProjectCreated', data: { projectId: command.projectId, name: command.name, storeContent: command.storeContent } }];
  }
  if (!state.exists) reject('not_found', 'project not found');
  switch (command.type) {
    case 'ChangeProjectSettings':
      if (state.storeContent === command.storeContent) return [];
      return [{ type: 'ProjectSettingsChanged', data: { projectId, storeContent: command.storeContent } }];
    case 'IssueDashboardToken':
      if (state.tokens.size >= MAX_TOKENS_PER_PROJECT) reject('conflict', `a project holds at most ${MAX_TOKENS_PER_PROJECT} dashboard tokens`);
      return [{ type: 'DashboardTokenIssued', data: { projectId, tokenId: command.tokenId, name: command.name, tokenHash: command.tokenHash } }];
    case 'IssueApiKey': {
      const live = [...state.apiKeys.values()].filter((k) => !k.revoked).length;
      if (live >= MAX_API_KEYS_PER_PROJECT) reject('conflict', `a project holds at most ${MAX_API_KEYS_PER_PROJECT} active API keys; revoke one first`);
      return [{ type: 'ApiKeyIssued', data: { projectId, keyId: command.keyId, name: command.name, keyHash: command.keyHash, prefix: command.prefix } }];
    }
    case 'RevokeApiKey': {
      const key = state.apiKeys.get(command.keyId);
      if (!key) reject('not_found', 'API key not found');
      if (key!.revoked) return []; // revoking twice is a no-op, not an error: retries are safe
      return [{ type: 'ApiKeyRevoked', data: { projectId, keyId: command.keyId } }];
    }
  }
}
