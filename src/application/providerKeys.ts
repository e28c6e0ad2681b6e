import type { EventMetadata } from '../eventstore/port.ts';
import type { AppContext } from './context.ts';
import { handleCommand, type Decider } from './commandHandler.ts';
import {
  decideProviderKey, evolveProviderKey, initialProviderKeyState, type ProviderKeyCommand, type ProviderKeyState,
} from '../domain/providerKeys/decide.ts';
import { providerKeyStream, type ProviderKeyEvent } from '../domain/providerKeys/events.ts';
import { reject } from '../domain/shared/errors.ts';
import { openSecret, sealSecret, shredSecret } from '../crypto/secrets.ts';
import { getAdapter } from '../providers/registry.ts';
import { ProviderError, type ProviderName } from '../providers/types.ts';
import { getProviderKey } from '../../projections/providers.ts';

const READ_MODELS = ['providers', 'audit'];
const TEST_TIMEOUT_MS = 15_000;

const decider = (projectId: string, provider: ProviderName): Decider<ProviderKeyState, ProviderKeyCommand, ProviderKeyEvent> => ({
  initialState: initialProviderKeyState,
  evolve: evolveProviderKey,
  decide: (state, command) => decideProviderKey(state, command, projectId, provider),
});

/** Public prefixes of well-known key formats; shown in masked keys, never anything else. */
const KNOWN_PREFIXES = ['sk-ant-', 'sk-proj-', 'sk-', 'gsk_', 'AIza'];
const keyPrefixOf = (apiKey: string) => KNOWN_PREFIXES.find((p) => apiKey.startsWith(p) && apiKey.length > p.length + 16) ?? '';

async function checkBaseUrl(provider: ProviderName, baseUrl: string | undefined): Promise<string | null> {
  if (baseUrl === undefined) return null;
  let url: URL;
  try { url = new URL(baseUrl); } catch { return reject('invalid', 'base_url: must be an absolute http(s) URL'); }
  const problem = (await getAdapter(provider)).checkBaseUrl(url);
  if (problem) reject('invalid', `base_url: ${problem}`);
  return baseUrl;
}

/** Adds or replaces (rotates) a project's key for one provider. The old key's data key is destroyed. */
export async function setProviderKey(
  app: AppContext, projectId: string, input: { provider: ProviderName; apiKey: string; baseUrl?: string | undefined }, metadata: EventMetadata,
) {
  const baseUrl = await checkBaseUrl(input.provider, input.baseUrl);
  const sealed = await sealSecret(input.apiKey, app.dataKeys);
  let result;
  try {
    result = await handleCommand(app.eventStore, providerKeyStream(projectId, input.provider), decider(projectId, input.provider), {
      type: 'SetProviderKey', sealed: { ...sealed, keyPrefix: keyPrefixOf(input.apiKey) }, baseUrl,
    }, metadata);
  } catch (err) {
    await shredSecret(sealed, app.dataKeys).catch(() => {}); // never recorded: nothing may decrypt it
    throw err;
  }
  for (const event of result.events) app.cache.forget(event);
  const set = result.events[0];
  if (set?.type === 'ProviderKeySet' && set.data.replacedDataKeyId) {
    await shred(app, set.data.replacedDataKeyId);
  }
  await app.awaitProjections(result.append!.checkpoint, READ_MODELS);
}

/** Removes the key and destroys its data key: the ciphertext left in the log is unreadable from now on. */
export async function removeProviderKey(app: AppContext, projectId: string, provider: ProviderName, metadata: EventMetadata) {
  const result = await handleCommand(app.eventStore, providerKeyStream(projectId, provider), decider(projectId, provider), { type: 'RemoveProviderKey' }, metadata);
  for (const event of result.events) app.cache.forget(event);
  const removed = result.events[0];
  if (removed?.type === 'ProviderKeyRemoved') await shred(app, removed.data.dataKeyId);
  if (result.append) await app.awaitProjections(result.append.checkpoint, READ_MODELS);
}

async function shred(app: AppContext, dataKeyId: string) {
  try {
    await shredSecret({ dataKeyId }, app.dataKeys);
  } catch (err) {
    // The event is recorded; a data key left behind is found again by `npm run keys:rewrap`'s sweep.
    app.log.error('could not destroy a data key', { dataKeyId, err });
  }
}

export interface ConnectivityReport {
  provider: ProviderName;
  ok: boolean;
  latency_ms: number;
  probe: string | null;
  error: { kind: string; status: number | null; message: string } | null;
}

/** Calls the provider with the stored key (a minimal real request) and records the result. */
export async function testProviderKey(app: AppContext, projectId: string, provider: ProviderName, metadata: EventMetadata): Promise<ConnectivityReport> {
  const row = await getProviderKey(app.database.db, projectId, provider);
  if (!row) reject('not_found', `no ${provider} key is configured for this project`);
  const apiKey = await openSecret({ ciphertext: row!.ciphertext, dataKeyId: row!.data_key_id }, app.dataKeys);
  const started = performance.now();
  let report: Omit<ConnectivityReport, 'latency_ms'>;
  try {
    const { probe } = await (await getAdapter(provider)).testConnection(
      { apiKey, baseUrl: row!.base_url ?? undefined },
      { signal: AbortSignal.timeout(TEST_TIMEOUT_MS), timeoutMs: TEST_TIMEOUT_MS },
    );
    report = { provider, ok: true, probe, error: null };
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    report = { provider, ok: false, probe: null, error: { kind: err.kind, status: err.status ?? null, message: err.message.slice(0, 2000) } };
  }
  const latencyMs = Math.round(performance.now() - started);
  const result = await handleCommand(app.eventStore, providerKeyStream(projectId, provider), decider(projectId, provider), {
    type: 'TestProviderKey', fingerprint: row!.fingerprint, ok: report.ok, latencyMs, probe: report.probe, error: report.error,
  }, metadata);
  if (result.append) await app.awaitProjections(result.append.checkpoint, READ_MODELS);
  return { ...report, latency_ms: latencyMs };
}
