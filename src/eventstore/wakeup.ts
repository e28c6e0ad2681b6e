/**
 * "Something new may have been committed." Pollers wait on it instead of sleeping the whole poll
 * interval. A notification that arrives while a poller is busy reading is not lost: the poller
 * passes the generation it saw before reading and returns at once if it has moved since.
 */
export class WakeupSignal {
  #generation = 0;
  #listeners = new Set<() => void>();

  get generation(): number {
    return this.#generation;
  }

  notify(): void {
    this.#generation++;
    for (const listener of [...this.#listeners]) listener();
  }

  /** Resolves on the next notification after `seen`, after `ms`, or when `signal` aborts. */
  wait(ms: number, seen: number, signal?: AbortSignal): Promise<void> {
    if (this.#generation !== seen || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#listeners.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** Sleeps `ms`, or less if `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Capped exponential backoff: 100 ms, 200 ms, 400 ms ... up to `maxMs`. */
export function backoffMs(attempt: number, maxMs = 30_000, baseMs = 100): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
}

/**
 * Lets timers and I/O run. Embedded PGlite answers queries without touching the event loop, so a
 * loop of queries (catching up, a busy append queue) would otherwise starve everything else.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
