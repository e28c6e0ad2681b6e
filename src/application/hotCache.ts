import type { EventStore, RecordedEvent, Subscription } from '../eventstore/port.ts';
import type { Logger } from '../log.ts';

/**
 * What every chat request needs before it can call a provider: who the caller is, the project's
 * settings, and the project's decrypted provider key. Reading them from Postgres (and unwrapping
 * a data key) on each request would cost several round trips, so they are kept here.
 *
 * Staleness is bounded by events, not by time: this process drops an entry the moment it appends
 * an event that changes it (revocation, key rotation, removal, settings), and every process drops
 * entries when the same events reach it through its event store subscription. Misses are never
 * cached, so a newly issued key works at once.
 */
export const INVALIDATING_EVENTS = [
  'ApiKeyRevoked', 'ProviderKeySet', 'ProviderKeyRemoved', 'ProjectSettingsChanged',
] as const;

class Lru<V> {
  readonly #max: number;
  readonly #map = new Map<string, V>();
  constructor(max: number) { this.#max = max; }
  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) { this.#map.delete(key); this.#map.set(key, v); }
    return v;
  }
  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }
  deleteWhere(match: (key: string, value: V) => boolean): void {
    for (const [k, v] of this.#map) if (match(k, v)) this.#map.delete(k);
  }
  clear(): void { this.#map.clear(); }
}

export interface CachedCaller {
  kind: 'token' | 'api_key';
  credentialId: string;
  projectId: string;
}

export interface CachedProviderKey {
  apiKey: string;
  baseUrl: string | undefined;
  fingerprint: string;
}

/**
 * `remember*` takes the `epoch()` read before the database was: if anything was forgotten since,
 * the value may predate that change and is not kept (a revocation racing a lookup cannot be undone).
 */
export interface HotCache {
  epoch(): number;
  caller(secretHash: string): CachedCaller | undefined;
  rememberCaller(secretHash: string, caller: CachedCaller, epoch: number): void;
  storeContent(projectId: string): boolean | undefined;
  rememberStoreContent(projectId: string, value: boolean, epoch: number): void;
  providerKey(projectId: string, provider: string): CachedProviderKey | undefined;
  rememberProviderKey(projectId: string, provider: string, key: CachedProviderKey, epoch: number): void;
  /** Drops whatever the event makes stale. Called for this process's own appends and by the subscription. */
  forget(event: Pick<RecordedEvent, 'type' | 'data'>): void;
  /** Follows the log from its head so changes made by other processes drop entries here too. */
  follow(store: EventStore, log: Logger): Promise<Subscription>;
}

export function createHotCache(size = 10_000): HotCache {
  const callers = new Lru<CachedCaller>(size);
  const settings = new Lru<boolean>(size);
  const keys = new Lru<CachedProviderKey>(size);
  const keyOf = (projectId: string, provider: string) => `${projectId}/${provider}`;
  let epoch = 0;
  let enabled = true;
  const fresh = (seen: number) => enabled && seen === epoch;

  const cache: HotCache = {
    epoch: () => epoch,
    caller: (h) => callers.get(h),
    rememberCaller: (h, c, seen) => { if (fresh(seen)) callers.set(h, c); },
    storeContent: (p) => settings.get(p),
    rememberStoreContent: (p, v, seen) => { if (fresh(seen)) settings.set(p, v); },
    providerKey: (p, provider) => keys.get(keyOf(p, provider)),
    rememberProviderKey: (p, provider, k, seen) => { if (fresh(seen)) keys.set(keyOf(p, provider), k); },
    forget(event) {
      const d = event.data as { projectId?: string; keyId?: string; provider?: string };
      epoch++;
      switch (event.type) {
        case 'ApiKeyRevoked':
          callers.deleteWhere((_h, c) => c.credentialId === d.keyId);
          break;
        case 'ProviderKeySet':
        case 'ProviderKeyRemoved':
          keys.deleteWhere((k) => k === keyOf(d.projectId!, d.provider!));
          break;
        case 'ProjectSettingsChanged':
          settings.deleteWhere((p) => p === d.projectId);
          break;
      }
    },
    async follow(store, log) {
      return store.subscribe({
        after: await store.head(),
        types: INVALIDATING_EVENTS,
        onEvents: async (events) => { for (const e of events) cache.forget(e); },
        onError: (err) => {
          // Without the feed this cache could serve stale entries: empty it and stop using it.
          log.error('cache invalidation feed stopped; caching disabled', { err });
          enabled = false;
          callers.clear(); settings.clear(); keys.clear();
        },
      });
    },
  };
  return cache;
}
