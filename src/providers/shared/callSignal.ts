import type { CallOptions } from '../types.ts';

export interface CallSignal extends Disposable {
  /** Aborts when the caller cancels or the call's time budget runs out. */
  signal: AbortSignal;
  cancelled(): boolean;
  timedOut(): boolean;
}

/**
 * One signal bounding the whole call, body included: some SDKs only time the wait for headers, and
 * one (Mistral) ignores its timeout once a signal is given. Which of the two fired decides whether a
 * failure is reported as 'cancelled' or 'timeout'.
 *
 * Declare it with `using`: the deadline's timer is cleared when the call's scope ends. An
 * `AbortSignal.timeout` cannot be cleared, so each call's timer and signals lived on for the whole
 * budget (60 s by default): tens of thousands of them under load.
 */
export function callSignal(options: CallOptions): CallSignal {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    Math.max(1, options.timeoutMs),
  );
  // Like AbortSignal.timeout: a pending deadline does not keep the process alive.
  timer.unref();
  return {
    signal: AbortSignal.any([options.signal, deadline.signal]),
    cancelled: () => options.signal.aborted,
    timedOut: () => deadline.signal.aborted && !options.signal.aborted,
    [Symbol.dispose]: () => clearTimeout(timer),
  };
}
