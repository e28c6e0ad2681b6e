import { z } from 'zod';
import { defineEvent, type EventOf } from '../shared/eventDefinition.ts';

const id = z.string().uuid();
const name = z.string().min(1).max(100);
/** SHA-256 of the credential, hex. The credential itself is shown once and never stored. */
const secretHash = z.string().regex(/^[0-9a-f]{64}$/);

export const ProjectCreated = defineEvent('ProjectCreated', 2, z.object({
  projectId: id,
  name,
  /** Whether prompts and responses are kept in completion events. Off unless a project opts in. */
  storeContent: z.boolean(),
}), [{
  // v1 predates the per-project content setting; those projects never stored content.
  version: 1,
  schema: z.object({ projectId: id, name }),
  upcast: (d: { projectId: string; name: string }) => ({ ...d, storeContent: false }),
}]);

export const ProjectSettingsChanged = defineEvent('ProjectSettingsChanged', 1, z.object({
  projectId: id,
  storeContent: z.boolean(),
}));

export const DashboardTokenIssued = defineEvent('DashboardTokenIssued', 1, z.object({
  projectId: id,
  tokenId: id,
  name,
  tokenHash: secretHash,
}));

export const ApiKeyIssued = defineEvent('ApiKeyIssued', 1, z.object({
  projectId: id,
  keyId: id,
  name,
  keyHash: secretHash,
  /** The first characters of the key, safe to show, e.g. `zb_3fA9`. */
  prefix: z.string().max(16),
}));

export const ApiKeyRevoked = defineEvent('ApiKeyRevoked', 1, z.object({
  projectId: id,
  keyId: id,
}));

export const projectEvents = [ProjectCreated, ProjectSettingsChanged, DashboardTokenIssued, ApiKeyIssued, ApiKeyRevoked] as const;

export type ProjectEvent =
  | EventOf<typeof ProjectCreated>
  | EventOf<typeof ProjectSettingsChanged>
  | EventOf<typeof DashboardTokenIssued>
  | EventOf<typeof ApiKeyIssued>
  | EventOf<typeof ApiKeyRevoked>;

export const projectStream = (projectId: string) => `project-${projectId}`;
