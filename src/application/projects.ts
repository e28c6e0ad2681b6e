import { randomUUID } from 'node:crypto';
import type { EventMetadata } from '../eventstore/port.ts';
import {
  decideProject, evolveProject, initialProjectState, type ProjectCommand, type ProjectState,
} from '../domain/projects/decide.ts';
import { projectStream, type ProjectEvent } from '../domain/projects/events.ts';
import { displayPrefix, generateCredential, hashCredential } from '../auth/secrets.ts';
import { handleCommand, type Decider } from './commandHandler.ts';
import type { AppContext } from './context.ts';

const projectDecider = (projectId: string): Decider<ProjectState, ProjectCommand, ProjectEvent> => ({
  initialState: initialProjectState,
  evolve: evolveProject,
  decide: (state, command) => decideProject(state, command, projectId),
});

async function run(app: AppContext, projectId: string, command: ProjectCommand, metadata: EventMetadata, readModels: string[]) {
  const result = await handleCommand(app.eventStore, projectStream(projectId), projectDecider(projectId), command, metadata);
  for (const event of result.events) app.cache.forget(event);
  // Every project event is audited: an auditor reading the trail right after a change sees it.
  if (result.append) await app.awaitProjections(result.append.checkpoint, [...readModels, 'audit']);
  return result;
}

export async function createProject(app: AppContext, input: { name: string; storeContent: boolean }, metadata: EventMetadata) {
  const projectId = randomUUID();
  await run(app, projectId, { type: 'CreateProject', projectId, ...input }, metadata, ['projects']);
  return { projectId };
}

export async function changeProjectSettings(app: AppContext, projectId: string, input: { storeContent: boolean }, metadata: EventMetadata) {
  await run(app, projectId, { type: 'ChangeProjectSettings', ...input }, metadata, ['projects']);
}

/** Issues a dashboard token; the secret is returned here once and stored only as a hash. */
export async function issueDashboardToken(app: AppContext, projectId: string, name: string, metadata: EventMetadata) {
  const tokenId = randomUUID();
  const token = generateCredential('token');
  await run(app, projectId, { type: 'IssueDashboardToken', tokenId, name, tokenHash: hashCredential(token) }, metadata, ['credentials']);
  return { id: tokenId, name, token };
}

/** Issues a public API key; the secret is returned here once and stored only as a hash. */
export async function issueApiKey(app: AppContext, projectId: string, name: string, metadata: EventMetadata) {
  const keyId = randomUUID();
  const key = generateCredential('api_key');
  const prefix = displayPrefix(key);
  await run(app, projectId, { type: 'IssueApiKey', keyId, name, keyHash: hashCredential(key), prefix }, metadata, ['credentials']);
  return { id: keyId, name, key, prefix };
}

/** Revokes a key; when this returns, the key no longer authenticates. */
export async function revokeApiKey(app: AppContext, projectId: string, keyId: string, metadata: EventMetadata) {
  await run(app, projectId, { type: 'RevokeApiKey', keyId }, metadata, ['credentials']);
}
