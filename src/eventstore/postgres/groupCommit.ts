import { sql, type Kysely } from 'kysely';
import type { AppendResult } from '../port.ts';
import { yieldToEventLoop } from '../wakeup.ts';
import { appendInTransaction, type AppendRequest } from './append.ts';
import { appendBatch, DEFERRED, type Outcome } from './appendBatch.ts';
import { NOTIFY_CHANNEL } from './schema.ts';

/**
 * Group commit: appends that arrive while a transaction is committing wait for it, then all go into
 * the next transaction together. One transaction at a time per process; a lone append pays no
 * extra latency.
 *
 * The batch is written set-wise (appendBatch.ts: a handful of statements however many appends). If
 * that transaction fails as a whole (say, another process stored one of the event ids meanwhile),
 * the batch is redone one append at a time, each in its own savepoint, so only the append at fault
 * fails. Every caller's promise settles only after its transaction committed or failed, so a
 * resolved append is durable and its checkpoint is real.
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

export function createAppendQueue(options: AppendQueueOptions): AppendQueue {
  const maxAppends = options.maxAppendsPerTransaction ?? 500;
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
    // Row locks are taken in stream order in every process, so two processes' transactions cannot
    // deadlock each other. Appends to one stream keep their arrival order (the sort is stable).
    batch.sort((a, b) => (a.request.stream < b.request.stream ? -1 : a.request.stream > b.request.stream ? 1 : 0));
    const requests = batch.map((p) => p.request);
    let outcomes: Array<Outcome | typeof DEFERRED>;
    try {
      outcomes = await inTransaction(options.db, (trx) => appendBatch(trx, requests));
    } catch {
      try {
        outcomes = await inTransaction(options.db, async (trx) => {
          const each: Outcome[] = [];
          for (const request of requests) each.push(await appendInSavepoint(trx, request));
          return each;
        });
      } catch (err) {
        for (const item of batch) item.reject(err);
        return;
      }
    }
    const deferred: Pending[] = [];
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o === DEFERRED) deferred.push(item);
      else if (o.ok) item.resolve(o.result);
      else item.reject(o.error);
    });
    waiting.unshift(...deferred);
    if (outcomes.some((o) => o !== DEFERRED && o.ok)) options.onCommitted();
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

/** Runs `work` in a transaction that also notifies listeners if anything was stored. */
async function inTransaction<T extends Outcome | typeof DEFERRED>(db: Kysely<any>, work: (trx: Kysely<any>) => Promise<T[]>): Promise<T[]> {
  return db.transaction().execute(async (trx) => {
    const outcomes = await work(trx);
    if (outcomes.some((o) => o !== DEFERRED && o.ok)) await sql`select pg_notify(${NOTIFY_CHANNEL}, '')`.execute(trx);
    return outcomes;
  });
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
