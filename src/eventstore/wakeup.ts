/**
 * "Something new may have been committed." Pollers wait on it instead of sleeping the whole poll
 * interval. A notification that arrives while a poller is busy reading is not lost: the poller
 * passes the generation it saw before reading and returns at once if it has moved since.
 *
 * A notification may name the event types it is about; a poller that follows only some types is
 * then woken only by the ones it follows, so a flood of one kind of event does not make every
 * subscriber read. A notification without types wakes everyone (commits of unknown content).
 */
export class WakeupSignal {
  #generation = 0;
  /** Generation of the last notification that named no types. */
  #untyped = 0;
  /** Generation of the last notification naming each type. */
  #byType = new Map<string, number>();
  #listeners = new Set<{ types: ReadonlySet<string> | undefined; done(): void }>();

  get generation(): number {
    return this.#generation;
  }

  notify(types?: Iterable<string>): void {
    const generation = ++this.#generation;
    const named = types ? new Set(types) : undefined;
    if (named) for (const t of named) this.#byType.set(t, generation);
    else this.#untyped = generation;
    for (const listener of [...this.#listeners]) {
      if (!named || !listener.types || intersects(listener.types, named)) listener.done();
    }
  }

  /**
   * Resolves on the next notification after `seen` that concerns `types` (any, when absent), after
   * `ms`, or when `signal` aborts.
   */
  wait(ms: number, seen: number, signal?: AbortSignal, types?: ReadonlySet<string>): Promise<void> {
    if (signal?.aborted || this.#missed(seen, types)) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = {
        types,
        done: () => {
          clearTimeout(timer);
          this.#listeners.delete(listener);
          signal?.removeEventListener('abort', listener.done);
          resolve();
        },
      };
      const timer = setTimeout(listener.done, ms);
      this.#listeners.add(listener);
      signal?.addEventListener('abort', listener.done, { once: true });
    });
  }

  #missed(seen: number, types: ReadonlySet<string> | undefined): boolean {
    if (this.#generation === seen) return false;
    if (!types || this.#untyped > seen) return true;
    for (const t of types) if ((this.#byType.get(t) ?? 0) > seen) return true;
    return false;
  }
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const x of b) if (a.has(x)) return true;
  return false;
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
