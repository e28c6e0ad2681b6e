import type { Kysely } from 'kysely';
import type { AppendResult } from '../port.ts';
import { yieldToEventLoop } from '../wakeup.ts';
import { appendBatch, DEFERRED, isRetryable, type AppendRequest, type Outcome } from './append.ts';

/**
 * Group commit: appends that arrive while batches are being written wait for one to finish, then
 * all go into the next batch together. At most `maxInFlight` batches at a time per process; a
 * lone append pays no extra latency.
 *
 * A batch is one statement (`es_append`, run in autocommit: its own transaction). If the statement
 * fails as a whole for a reason that a second run resolves (a stream or an id stored concurrently
 * by another process), it runs again. If it still fails (say, one append's data cannot be stored
 * as jsonb), each append is written on its own, so only the one at fault fails. Every caller's
 * promise settles only after its statement committed or failed, so a resolved append is durable and
 * its checkpoint is real.
 */
export interface AppendQueue {
  append(request: AppendRequest): Promise<AppendResult>;
  /** Settles once everything queued so far has been written or refused. */
  drain(): Promise<void>;
}

export interface AppendQueueOptions {
  db: Kysely<any>;
  /** Names this process in commit notifications (see es_append). */
  origin: string;
  /** Called after each batch that stored events, with their types (in-process subscribers wake up). */
  onCommitted(types: ReadonlySet<string>): void;
  /**
   * Batches written at once (default 1). More than one lets a batch be written while another
   * waits for its commit; batches lock the streams they share in one order, so they queue on
   * them instead of deadlocking. PGlite is one session: 1.
   */
  maxInFlight?: number;
  /** Most appends sharing one batch; keeps lock hold times and statement size bounded. */
  maxAppendsPerBatch?: number;
  /** Most events in one batch (a single larger append still goes through on its own). */
  maxEventsPerBatch?: number;
  /** Most characters of event JSON in one batch (a single larger append still goes on its own). */
  maxCharsPerBatch?: number;
}

interface Pending {
  request: AppendRequest;
  chars: number;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

/** Runs of a batch that failed with a retryable error before it is split into single appends. */
const RUNS = 3;

export function createAppendQueue(options: AppendQueueOptions): AppendQueue {
  const maxAppends = options.maxAppendsPerBatch ?? 500;
  const maxEvents = options.maxEventsPerBatch ?? 2000;
  const maxChars = options.maxCharsPerBatch ?? 8 * 1024 * 1024;
  const maxInFlight = options.maxInFlight ?? 1;
  const waiting: Pending[] = [];
  const lanes = new Set<Promise<void>>();

  const takeBatch = (): Pending[] => {
    let events = 0;
    let chars = 0;
    let n = 0;
    while (n < waiting.length && n < maxAppends) {
      events += waiting[n]!.request.events.length;
      chars += waiting[n]!.chars;
      if (n > 0 && (events > maxEvents || chars > maxChars)) break;
      n++;
    }
    return waiting.splice(0, n);
  };

  /** One writer: takes batches until nothing waits. Up to `maxInFlight` of them run at once. */
  const lane = async () => {
    while (waiting.length > 0) {
      await commit(takeBatch());
      // Embedded PGlite answers without yielding to the event loop, so a caller that appends
      // again as soon as its append resolves would keep this loop (and itself) in microtasks
      // forever: timers and I/O would never run. Yield after every batch; the callers resolved
      // by it queue their next appends meanwhile, and they go into the next batch together.
      await yieldToEventLoop();
    }
  };
  const startLane = () => {
    const running: Promise<void> = lane().finally(() => lanes.delete(running));
    lanes.add(running);
  };

  const commit = async (batch: Pending[]) => {
    let outcomes: Array<Outcome | typeof DEFERRED>;
    try {
      outcomes = await withRetries(() => appendBatch(options.db, batch.map((p) => p.request), options.origin));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      outcomes = [];
      for (const item of batch) {
        try {
          outcomes.push((await withRetries(() => appendBatch(options.db, [item.request], options.origin)))[0]!);
        } catch (single) {
          outcomes.push({ ok: false, error: single });
        }
      }
    }
    const deferred: Pending[] = [];
    const committedTypes = new Set<string>();
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o === DEFERRED) deferred.push(item);
      else if (o.ok) {
        for (const e of item.request.events) committedTypes.add(e.type);
        item.resolve(o.result);
      } else item.reject(o.error);
    });
    waiting.unshift(...deferred);
    if (committedTypes.size > 0) options.onCommitted(committedTypes);
  };

  return {
    append(request) {
      return new Promise<AppendResult>((resolve, reject) => {
        let chars = 0;
        for (const s of request.serialized) chars += s.data.length + s.metadata.length;
        waiting.push({ request, chars, resolve, reject });
        if (lanes.size < maxInFlight) startLane();
      });
    },
    async drain() {
      while (lanes.size > 0) await Promise.all(lanes);
    },
  };
}

async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let run = 1; ; run++) {
    try {
      return await attempt();
    } catch (err) {
      if (run >= RUNS || !isRetryable(err)) throw err;
    }
  }
}
