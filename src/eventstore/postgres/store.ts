import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import type { Logger } from '../../log.ts';
import { EventStoreUnavailableError, type EventStore, type Subscription } from '../port.ts';
import { validateAppend, validateReadAll, validateReadStream } from '../validation.ts';
import { WakeupSignal } from '../wakeup.ts';
import { createAppendQueue } from './groupCommit.ts';
import { head } from './head.ts';
import { readAll } from './readAll.ts';
import { readStream } from './readStream.ts';
import { NOTIFY_CHANNEL } from './schema.ts';
import { pollingSubscription } from './subscribe.ts';

export interface PostgresEventStoreOptions {
  database: Database;
  log: Logger;
  /** Longest a caught-up subscription waits before polling again; wakeups usually come sooner. */
  pollMs?: number;
  /** Events per batch handed to a subscriber. */
  subscriptionBatchSize?: number;
}

/**
 * The event store on the service's own Postgres (embedded PGlite or native): same SQL, same code.
 * Requires migrations/0002_event_store.ts to have run.
 */
export function createPostgresEventStore(options: PostgresEventStoreOptions): EventStore {
  const { database, log } = options;
  const db = database.db as never;
  const wakeup = new WakeupSignal();
  const origin = randomUUID();
  // An idempotent retry resolves without storing anything; waking its readers then costs one read.
  const queue = createAppendQueue({
    db, origin, onCommitted: (types) => wakeup.notify(types),
    // Native Postgres: a second batch is written while the first waits for its WAL flush.
    maxInFlight: database.kind === 'postgres' ? 2 : 1,
  });
  const subscriptions = new Set<Subscription>();
  let closed = false;
  let unlisten: Promise<(() => Promise<void>) | undefined> | undefined;

  // Other processes' commits arrive by NOTIFY; this process's own commits wake subscribers directly.
  const ensureListening = () => {
    unlisten ??= database.listen(NOTIFY_CHANNEL, (payload) => {
      const notice = parseNotice(payload);
      if (notice.origin !== origin) wakeup.notify(notice.types);
    }).catch((err: unknown) => {
      log.warn('event notifications unavailable; subscriptions poll only', { err });
      return undefined;
    });
  };

  const assertOpen = () => {
    if (closed) throw new EventStoreUnavailableError('event store is closed');
  };

  return {
    kind: 'postgres',
    async append(stream, events, appendOptions) {
      assertOpen();
      const serialized = validateAppend(stream, events, appendOptions);
      return queue.append({ stream, events, expected: appendOptions.expected, serialized, deferFlush: appendOptions.durability === 'deferred' });
    },
    async readStream(stream, readOptions) {
      assertOpen();
      const { from, maxCount } = validateReadStream(stream, readOptions);
      return readStream(db, stream, from, maxCount);
    },
    async readAll(readOptions) {
      assertOpen();
      validateReadAll(readOptions);
      return readAll(db, readOptions);
    },
    subscribe(subscribeOptions) {
      assertOpen();
      const batchSize = subscribeOptions.batchSize ?? options.subscriptionBatchSize ?? 500;
      validateReadAll({ after: subscribeOptions.after, batchSize, ...(subscribeOptions.types ? { types: subscribeOptions.types } : {}) });
      ensureListening();
      const subscription = pollingSubscription({
        readAll: (o) => readAll(db, o),
        wakeup,
        log,
        pollMs: options.pollMs ?? 250,
        batchSize,
      }, subscribeOptions);
      subscriptions.add(subscription);
      return {
        async close() {
          subscriptions.delete(subscription);
          await subscription.close();
        },
      };
    },
    async head() {
      assertOpen();
      return head(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      subscriptions.clear();
      await queue.drain();
      const stop = await unlisten;
      await stop?.();
    },
  };
}

/** es_append's notification payload; anything unreadable wakes every subscriber. */
function parseNotice(payload: string): { origin: string | undefined; types: string[] | undefined } {
  try {
    const parsed = JSON.parse(payload) as { o?: unknown; t?: unknown };
    const types = Array.isArray(parsed.t) && parsed.t.every((t) => typeof t === 'string') ? parsed.t as string[] : undefined;
    return { origin: typeof parsed.o === 'string' ? parsed.o : undefined, types };
  } catch {
    return { origin: undefined, types: undefined };
  }
}
