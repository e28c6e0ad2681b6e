import type { Logger } from '../../log.ts';
import type { ReadAllOptions, ReadAllResult, SubscribeOptions, Subscription } from '../port.ts';
import { backoffMs, sleep, yieldToEventLoop, type WakeupSignal } from '../wakeup.ts';

export interface PollingDeps {
  readAll(options: ReadAllOptions): Promise<ReadAllResult>;
  wakeup: WakeupSignal;
  log: Logger;
  /** Longest wait between polls when nothing wakes the subscription (LISTEN lost, other writers). */
  pollMs: number;
  batchSize: number;
}

/**
 * A subscription as a loop over readAll: read a batch, hand it over, wait for it to be handled,
 * repeat; when caught up, wait for a wakeup or the poll interval. One batch at a time is the
 * backpressure; readAll's ordering is what makes it exactly-once and in order.
 *
 * `onEvents` is also called with an empty batch when only `next` moved (events the type filter
 * dropped), so a consumer can store a checkpoint past them.
 */
export function pollingSubscription(deps: PollingDeps, options: SubscribeOptions): Subscription {
  const abort = new AbortController();
  let inHandler = false;
  let after = options.after;
  const types = options.types ? new Set(options.types) : undefined;
  const lingerMs = options.lingerMs ?? 0;

  const fail = (err: unknown) => {
    abort.abort();
    if (options.onError) options.onError(err);
    else deps.log.error('subscription stopped', { err });
  };

  const loop = (async () => {
    let failures = 0;
    let pendingMs = 0;
    while (!abort.signal.aborted) {
      const seen = deps.wakeup.generation;
      let result: ReadAllResult;
      try {
        result = await deps.readAll({ after, batchSize: deps.batchSize, ...(options.types ? { types: options.types } : {}) });
        failures = 0;
      } catch (err) {
        // A malformed checkpoint or filter will never read; anything else (connection lost, database
        // restarting) is retried until close().
        if (err instanceof TypeError || err instanceof RangeError) return fail(err);
        failures++;
        deps.log.warn('subscription read failed; retrying', { err, attempt: failures });
        await sleep(backoffMs(failures, 5_000), abort.signal);
        continue;
      }
      if (abort.signal.aborted) return;
      if (result.events.length > 0 || result.next !== after) {
        inHandler = true;
        try {
          await options.onEvents(result.events, result.next);
        } catch (err) {
          return fail(err);
        } finally {
          inHandler = false;
        }
        after = result.next;
      }
      if (!result.caughtUp) await yieldToEventLoop();
      else if (result.pending) {
        // Committed events wait behind an older running transaction; it ends with no notice.
        pendingMs = Math.min(pendingMs * 2 || 1, deps.pollMs);
        await deps.wakeup.wait(pendingMs, seen, abort.signal, types);
      } else {
        pendingMs = 0;
        await deps.wakeup.wait(deps.pollMs, seen, abort.signal, types);
        if (lingerMs > 0 && deps.wakeup.generation !== seen) await sleep(lingerMs, abort.signal);
      }
    }
  })();

  return {
    async close() {
      abort.abort();
      // Closing from inside onEvents must not wait for the loop that is waiting for onEvents.
      if (!inHandler) await loop;
    },
  };
}
