import type { Checkpoint } from '../eventstore/port.ts';
import { ProjectionTimeoutError } from './errors.ts';

export interface WaitersOptions {
  /** The checkpoint this process last saw committed for a projection. */
  reached(name: string): Checkpoint | undefined;
  /** Reads stored checkpoints, when another process may be the one applying (native Postgres). */
  readStored?: ((names: string[]) => Promise<Map<string, Checkpoint>>) | undefined;
  /** How often stored checkpoints are read while someone waits. */
  pollMs?: number;
}

interface Waiter {
  checkpoint: Checkpoint;
  names: string[];
  resolve(): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

/**
 * Read-your-writes: callers wait until projections have reached a checkpoint. Waiters are checked
 * whenever a batch commits in this process, and the stored checkpoints are polled so progress made
 * by another process counts too.
 */
export function createWaiters(options: WaitersOptions) {
  const waiting = new Set<Waiter>();
  const stored = new Map<string, Checkpoint>();
  const pollMs = options.pollMs ?? 50;
  let poller: NodeJS.Timeout | undefined;

  const at = (name: string): Checkpoint => {
    const local = options.reached(name) ?? ('' as Checkpoint);
    const remote = stored.get(name) ?? ('' as Checkpoint);
    return local > remote ? local : remote;
  };
  const done = (w: Waiter) => w.names.every((n) => at(n) >= w.checkpoint);

  const check = () => {
    for (const w of waiting) {
      if (!done(w)) continue;
      waiting.delete(w);
      clearTimeout(w.timer);
      w.resolve();
    }
    if (waiting.size === 0 && poller) {
      clearInterval(poller);
      poller = undefined;
    }
  };

  const poll = async () => {
    const names = [...new Set([...waiting].flatMap((w) => w.names))];
    if (names.length === 0 || !options.readStored) return;
    try {
      for (const [name, checkpoint] of await options.readStored(names)) stored.set(name, checkpoint);
      check();
    } catch {
      // A failed poll only delays; the wait's own timeout still applies.
    }
  };

  return {
    waitFor(checkpoint: Checkpoint, names: string[], timeoutMs: number): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          checkpoint, names, resolve, reject,
          timer: setTimeout(() => {
            waiting.delete(waiter);
            if (waiting.size === 0 && poller) {
              clearInterval(poller);
              poller = undefined;
            }
            const behind = Object.fromEntries(names.filter((n) => at(n) < checkpoint).map((n) => [n, at(n)]));
            reject(new ProjectionTimeoutError(checkpoint, behind, timeoutMs));
          }, timeoutMs),
        };
        if (done(waiter)) {
          clearTimeout(waiter.timer);
          resolve();
          return;
        }
        waiting.add(waiter);
        if (options.readStored && !poller) {
          poller = setInterval(() => void poll(), pollMs);
          void poll();
        }
      });
    },
    /** Called after each committed batch. */
    progressed: check,
    rejectAll(err: unknown) {
      for (const w of waiting) {
        clearTimeout(w.timer);
        w.reject(err);
      }
      waiting.clear();
      if (poller) clearInterval(poller);
      poller = undefined;
    },
  };
}
