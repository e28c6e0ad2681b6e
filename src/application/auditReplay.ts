import type { Checkpoint, EventStore, RecordedEvent } from '../eventstore/port.ts';
import { START } from '../eventstore/port.ts';
import { upcast } from '../domain/events.ts';
import { evolveProject, initialProjectState, type ProjectState } from '../domain/projects/decide.ts';
import type { ProjectEvent } from '../domain/projects/events.ts';
import { evolveProviderKey, initialProviderKeyState, type ProviderKeyState } from '../domain/providerKeys/decide.ts';
import type { ProviderKeyEvent } from '../domain/providerKeys/events.ts';
import { projectEvents } from '../domain/projects/events.ts';
import { providerKeyEvents } from '../domain/providerKeys/events.ts';

/** One line of a project's administrative history, as an auditor reads it. */
export interface HistoryEntry {
  at: string;
  actor: string;
  type: string;
  summary: string;
  position: string;
}

export interface ProjectReplay {
  project: ProjectState;
  providers: Record<string, ProviderKeyState & { last4: string | undefined }>;
  history: HistoryEntry[];
}

const AUDITED = new Set<string>([...projectEvents, ...providerKeyEvents].map((d) => d.type));

function summarize(e: RecordedEvent): string {
  const d = e.data as any;
  switch (e.type) {
    case 'ProjectCreated': return `project "${d.name}" created (store content: ${d.storeContent})`;
    case 'ProjectSettingsChanged': return `store content set to ${d.storeContent}`;
    case 'DashboardTokenIssued': return `dashboard token "${d.name}" (${d.tokenId}) issued`;
    case 'ApiKeyIssued': return `API key "${d.name}" ${d.prefix}... (${d.keyId}) issued`;
    case 'ApiKeyRevoked': return `API key ${d.keyId} revoked`;
    case 'ProviderKeySet': return `${d.provider} key ...${d.last4} (fingerprint ${d.fingerprint}) ${d.replacedDataKeyId ? 'rotated in' : 'set'}${d.baseUrl ? ` with base URL ${d.baseUrl}` : ''}`;
    case 'ProviderKeyRemoved': return `${d.provider} key (fingerprint ${d.fingerprint}) removed; its data key destroyed`;
    case 'ProviderKeyTested': return `${d.provider} key (fingerprint ${d.fingerprint}) tested: ${d.ok ? `ok in ${d.latencyMs} ms` : `failed (${d.error?.kind}: ${d.error?.message})`}`;
    default: return e.type;
  }
}

/** Folds a project's events, in log order, into its state and a readable history. Pure. */
export function replayProject(events: Iterable<RecordedEvent>, projectId: string): ProjectReplay {
  let project = initialProjectState();
  const providers: ProjectReplay['providers'] = {};
  const history: HistoryEntry[] = [];
  for (const raw of events) {
    if (!AUDITED.has(raw.type) || (raw.data as { projectId?: string }).projectId !== projectId) continue;
    const e = upcast(raw);
    if (projectEvents.some((d) => d.type === e.type)) {
      project = evolveProject(project, { type: e.type, data: e.data } as ProjectEvent);
    } else {
      const name = (e.data as { provider: string }).provider;
      const before = providers[name] ?? { ...initialProviderKeyState(), last4: undefined };
      const after = evolveProviderKey(before, { type: e.type, data: e.data } as ProviderKeyEvent);
      const last4 = e.type === 'ProviderKeySet' ? (e.data as { last4: string }).last4 : e.type === 'ProviderKeyRemoved' ? undefined : before.last4;
      providers[name] = { ...after, last4 };
    }
    history.push({ at: e.recordedAt.toISOString(), actor: e.metadata.actor, type: e.type, summary: summarize(e), position: e.checkpoint });
  }
  return { project, providers, history };
}

/** Reads the whole log (only the audited event types) and replays one project. */
export async function replayProjectFromStore(store: EventStore, projectId: string): Promise<ProjectReplay> {
  const events: RecordedEvent[] = [];
  let after: Checkpoint = START;
  for (;;) {
    const batch = await store.readAll({ after, batchSize: 500, types: [...AUDITED] });
    events.push(...batch.events);
    after = batch.next;
    if (batch.caughtUp) break;
  }
  return replayProject(events, projectId);
}
