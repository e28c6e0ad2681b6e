import { sql, type Kysely } from 'kysely';
import type { AppendResult } from '../port.ts';
import { appendInTransaction, type AppendRequest } from './append.ts';
import { NOTIFY_CHANNEL } from './schema.ts';
import { yieldToEventLoop } from '../wakeup.ts';

/**
 * Group commit: appends that arrive while a transaction is committing wait for it, then all go into
 * the next transaction together, each in its own savepoint so a conflict fails only its own caller.
 * One transaction at a time per process; a lone append pays no extra latency and no savepoint.
 *
 * Every caller's promise settles only after its transaction committed (or failed), so a resolved
 * append is durable and its checkpoint is real.
 */
export interface AppendQueue {
  append(request: AppendRequest): Promise<AppendResult>;
  /** Settles once everything queued so far has been written or refused. */
  drain(): Promise<void>;
}

export interface AppendQueueOptions {
  db: Kysely<any>;
  /** Called after each committed transaction that stored events (in-process subscribers wake up). */
  onCommitted(): void;
  /** Most appends sharing one transaction; keeps lock hold times and transaction size bounded. */
  maxAppendsPerTransaction?: number;
  /** Most events in one transaction (a single larger append still goes through on its own). */
  maxEventsPerTransaction?: number;
}

interface Pending {
  request: AppendRequest;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

export function createAppendQueue(options: AppendQueueOptions): AppendQueue {
  const maxAppends = options.maxAppendsPerTransaction ?? 200;
  const maxEvents = options.maxEventsPerTransaction ?? 2000;
  const waiting: Pending[] = [];
  let running: Promise<void> | undefined;

  const takeBatch = (): Pending[] => {
    let events = 0;
    let n = 0;
    while (n < waiting.length && n < maxAppends) {
      events += waiting[n]!.request.events.length;
      if (n > 0 && events > maxEvents) break;
      n++;
    }
    return waiting.splice(0, n);
  };

  const run = async () => {
    try {
      while (waiting.length > 0) {
        await commit(takeBatch());
        await yieldToEventLoop();
      }
    } finally {
      running = undefined;
    }
  };

  const commit = async (batch: Pending[]) => {
    // Same order of row locks in every process: two processes' batches cannot deadlock each other.
    // Appends to one stream keep their arrival order (the sort is stable).
    batch.sort((a, b) => (a.request.stream < b.request.stream ? -1 : a.request.stream > b.request.stream ? 1 : 0));
    const outcomes: Outcome[] = [];
    try {
      await options.db.transaction().execute(async (trx) => {
        if (batch.length === 1) {
          outcomes.push({ ok: true, result: await appendInTransaction(trx, batch[0]!.request) });
        } else {
          for (const item of batch) outcomes.push(await appendInSavepoint(trx, item.request));
        }
        if (outcomes.some((o) => o.ok)) await sql`select pg_notify(${NOTIFY_CHANNEL}, '')`.execute(trx);
      });
    } catch (err) {
      // The transaction as a whole failed: nothing of it was stored.
      batch.forEach((item, i) => {
        const o = outcomes[i];
        item.reject(o && !o.ok ? o.error : err);
      });
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.result);
      else item.reject(o.error);
    });
    if (outcomes.some((o) => o.ok)) options.onCommitted();
  };

  return {
    append(request) {
      return new Promise<AppendResult>((resolve, reject) => {
        waiting.push({ request, resolve, reject });
        running ??= run();
      });
    },
    async drain() {
      while (running) await running;
    },
  };
}

async function appendInSavepoint(trx: Kysely<any>, request: AppendRequest): Promise<Outcome> {
  await sql`savepoint es_append`.execute(trx);
  try {
    const result = await appendInTransaction(trx, request);
    await sql`release savepoint es_append`.execute(trx);
    return { ok: true, result };
  } catch (error) {
    await sql`rollback to savepoint es_append`.execute(trx);
    await sql`release savepoint es_append`.execute(trx);
    return { ok: false, error };
  }
}
