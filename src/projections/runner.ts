import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { Checkpoint, EventStore, RecordedEvent, Subscription } from '../eventstore/port.ts';
import { backoffMs } from '../eventstore/wakeup.ts';
import { applyBatch, type Upcaster } from './applyBatch.ts';
import { ensureCheckpoints, markFaulted, readCheckpoints } from './checkpoints.ts';
import { ProjectionApplyError, ProjectionRunnerStoppedError } from './errors.ts';
import { lockTableCreation } from './locks.ts';
import type { Projection } from './projection.ts';
import { compareWithRebuild, rebuildProjection, type RebuildComparison, type RebuildResult } from './rebuild.ts';
import { createWaiters } from './waiters.ts';

/** Longest a projection's stored checkpoint trails batches that held nothing for it. */
const IDLE_CHECKPOINT_MS = 5_000;
/**
 * How long a woken projection waits for more commits before reading: a completion's request and
 * outcome, or a burst of requests, then cost one read-model transaction instead of one each.
 */
const LINGER_MS = 5;

export interface ProjectionRunnerOptions {
  database: Database;
  eventStore: EventStore;
  projections: readonly Projection[];
  /** Brings old event versions to the current shape before `apply`; must not change the type. */
  upcast?: Upcaster;
  log: Logger;
  /** Most events applied in one transaction. */
  batchSize?: number;
}

export interface ProjectionLag {
  status: 'running' | 'faulted' | 'stopped';
  checkpoint: Checkpoint;
  /** The log's head when asked; `caughtUp` compares the two. */
  head: Checkpoint;
  caughtUp: boolean;
  /** Last failure, while faulted: the message and the event it failed on. */
  error: string | null;
  failedAt: Checkpoint | null;
  attempts: number;
}

export interface ProjectionRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once every named projection has applied everything up to `checkpoint`. */
  waitFor(checkpoint: Checkpoint, names: string[], timeoutMs: number): Promise<void>;
  lag(): Promise<Record<string, ProjectionLag>>;
  rebuildProjection(name: string): Promise<RebuildResult>;
  compareWithRebuild(name: string): Promise<RebuildComparison>;
}

interface Worker {
  projection: Projection;
  status: ProjectionLag['status'];
  /** Last checkpoint this process saw committed for the projection. */
  checkpoint: Checkpoint;
  attempts: number;
  subscription: Subscription | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * Keeps every projection's tables in `public` current. Each projection has its own subscription,
 * checkpoint and failure state, so one failing projection never holds the others back.
 *
 * Per batch: one transaction applies the events and compare-and-sets the checkpoint. On failure the
 * batch rolls back, the projection is marked faulted (with the error and the event it failed on)
 * and retried with backoff from its stored checkpoint; an event is never skipped.
 */
export function createProjectionRunner(options: ProjectionRunnerOptions): ProjectionRunner {
  const { database, eventStore, log } = options;
  const db = database.db as Kysely<any>;
  const batchSize = options.batchSize ?? 200;
  const lockOnServer = database.kind === 'postgres';
  const projections = validated(options.projections);
  const workers = new Map<string, Worker>(projections.map((p) => [p.name, {
    projection: p, status: 'stopped', checkpoint: '' as Checkpoint, attempts: 0, subscription: undefined, restartTimer: undefined,
  }]));
  let running = false;

  const waiters = createWaiters({
    reached: (name) => workers.get(name)?.checkpoint,
    // Another process may be the one applying (cluster mode): its progress is only in the table.
    readStored: lockOnServer
      ? async (names) => new Map([...(await readCheckpoints(db, names))].map(([n, r]) => [n, r.checkpoint]))
      : undefined,
  });

  const subscribe = (worker: Worker) => {
    const { projection } = worker;
    // `stored` is where this process last saw the stored checkpoint; `worker.checkpoint` may be
    // ahead of it by batches that held nothing for this projection (the type filter left them
    // empty). Those are not written each time: a transaction per batch per projection would cost
    // more than the events. The next batch with events, or the next empty one after
    // IDLE_CHECKPOINT_MS, stores the position.
    let stored = worker.checkpoint;
    let storedAt = performance.now();
    worker.subscription = eventStore.subscribe({
      after: worker.checkpoint,
      types: projection.handles,
      batchSize,
      lingerMs: LINGER_MS,
      onEvents: async (events: RecordedEvent[], next: Checkpoint) => {
        if (events.length === 0 && performance.now() - storedAt < IDLE_CHECKPOINT_MS) {
          if (next > worker.checkpoint) worker.checkpoint = next;
          waiters.progressed();
          return;
        }
        const outcome = await applyBatch({ db, projection, schema: 'public', upcast: options.upcast, lockOnServer }, stored, events, next);
        if (outcome.kind !== 'applied') throw outcome;
        stored = outcome.checkpoint;
        storedAt = performance.now();
        worker.checkpoint = outcome.checkpoint;
        if (worker.status === 'faulted') log.info('projection recovered', { projection: projection.name, checkpoint: outcome.checkpoint });
        worker.status = 'running';
        worker.attempts = 0;
        waiters.progressed();
      },
      onError: (err) => { void handleStop(worker, err); },
    });
  };

  const handleStop = async (worker: Worker, err: unknown) => {
    worker.subscription = undefined;
    if (!running) return;
    const name = worker.projection.name;
    if (isOutcome(err) && err.kind === 'busy') return restartLater(worker, 50 + Math.floor(Math.random() * 200));
    if (isOutcome(err) && err.kind === 'rewound') {
      // A rebuild swapped in new tables and reset the checkpoint: continue from there.
      log.info('projection checkpoint was reset; resuming from it', { projection: name, checkpoint: err.checkpoint });
      return restartLater(worker, 0);
    }
    const failedAt = err instanceof ProjectionApplyError ? err.failedAt : null;
    let attempts = worker.attempts + 1;
    try {
      attempts = await markFaulted(db, name, err instanceof ProjectionApplyError ? err.cause : err, failedAt);
    } catch (markErr) {
      log.error('could not record projection fault', { projection: name, err: markErr });
    }
    worker.status = 'faulted';
    worker.attempts = attempts;
    const delay = backoffMs(attempts, 30_000);
    log.error('projection faulted; retrying', { projection: name, failedAt, attempts, retryInMs: delay, err: err instanceof ProjectionApplyError ? err.cause : err });
    restartLater(worker, delay);
  };

  const restartLater = (worker: Worker, delayMs: number) => {
    clearTimeout(worker.restartTimer);
    worker.restartTimer = setTimeout(() => {
      worker.restartTimer = undefined;
      void resume(worker);
    }, delayMs);
  };

  /** Starts the worker's subscription again from the stored checkpoint. */
  const resume = async (worker: Worker) => {
    if (!running) return;
    try {
      const row = (await readCheckpoints(db, [worker.projection.name])).get(worker.projection.name);
      if (!running) return;
      worker.checkpoint = row?.checkpoint ?? worker.checkpoint;
      subscribe(worker);
    } catch (err) {
      log.warn('projection could not resume; retrying', { projection: worker.projection.name, err });
      restartLater(worker, backoffMs(++worker.attempts, 30_000));
    }
  };

  const rebuildDeps = () => ({ database, eventStore, projections, upcast: options.upcast, log, batchSize });

  return {
    async start() {
      if (running) return;
      await createLiveTables(database, projections);
      const names = projections.map((p) => p.name);
      await ensureCheckpoints(db, names);
      const stored = await readCheckpoints(db, names);
      running = true;
      for (const worker of workers.values()) {
        const row = stored.get(worker.projection.name);
        worker.checkpoint = row?.checkpoint ?? ('' as Checkpoint);
        // A fault is cleared by the first batch that commits; until then it is still reported.
        worker.status = row?.status === 'faulted' ? 'faulted' : 'running';
        worker.attempts = row?.attempts ?? 0;
        subscribe(worker);
      }
      log.info('projections started', { projections: names });
    },

    async stop() {
      if (!running) return;
      running = false;
      waiters.rejectAll(new ProjectionRunnerStoppedError('projection runner stopped'));
      await Promise.all([...workers.values()].map(async (worker) => {
        clearTimeout(worker.restartTimer);
        worker.restartTimer = undefined;
        const subscription = worker.subscription;
        worker.subscription = undefined;
        worker.status = 'stopped';
        await subscription?.close();
      }));
    },

    waitFor(checkpoint, names, timeoutMs) {
      for (const name of names) {
        if (!workers.has(name)) return Promise.reject(new TypeError(`unknown projection: ${name}`));
      }
      if (!running) return Promise.reject(new ProjectionRunnerStoppedError('projection runner is not running'));
      return waiters.waitFor(checkpoint, names, timeoutMs);
    },

    async lag() {
      const names = [...workers.keys()];
      const [head, stored] = await Promise.all([eventStore.head(), readCheckpoints(db, names)]);
      const result: Record<string, ProjectionLag> = {};
      for (const [name, worker] of workers) {
        const row = stored.get(name);
        const checkpoint = [worker.checkpoint, row?.checkpoint ?? ''].reduce((a, b) => (a > b ? a : b)) as Checkpoint;
        result[name] = {
          // Another process may be the one that hit the fault (cluster mode): the row says so.
          status: worker.status !== 'stopped' && row?.status === 'faulted' ? 'faulted' : worker.status,
          checkpoint,
          head,
          caughtUp: checkpoint >= head,
          error: row?.status === 'faulted' ? row.error : null,
          failedAt: row?.status === 'faulted' ? row.failed_at : null,
          attempts: row?.attempts ?? worker.attempts,
        };
      }
      return result;
    },

    rebuildProjection: (name) => rebuildProjection(rebuildDeps(), name),
    compareWithRebuild: (name) => compareWithRebuild(rebuildDeps(), name),
  };
}

/** Creates every projection's tables in `public` (each projection in its own transaction). */
export async function createLiveTables(database: Database, projections: readonly Projection[]): Promise<void> {
  for (const projection of projections) {
    await (database.db as Kysely<any>).transaction().execute(async (trx) => {
      if (database.kind === 'postgres') await lockTableCreation(trx);
      await projection.createTables(trx.withSchema('public'));
    });
  }
}

function validated(projections: readonly Projection[]): readonly Projection[] {
  const seen = new Set<string>();
  for (const p of projections) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,47}$/.test(p.name)) throw new TypeError(`projection name must be letters, digits or _ (at most 48), got ${JSON.stringify(p.name)}`);
    if (seen.has(p.name)) throw new TypeError(`two projections are named ${p.name}`);
    seen.add(p.name);
    if (p.handles.length === 0) throw new TypeError(`projection ${p.name} handles no event types`);
    if (p.tables.length === 0) throw new TypeError(`projection ${p.name} owns no tables`);
  }
  return projections;
}

function isOutcome(err: unknown): err is { kind: 'busy' } | { kind: 'rewound'; checkpoint: Checkpoint } {
  return typeof err === 'object' && err !== null && 'kind' in err && ((err as { kind: unknown }).kind === 'busy' || (err as { kind: unknown }).kind === 'rewound');
}
