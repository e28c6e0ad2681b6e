import type { CallOptions } from '../types.ts';

export interface CallSignal {
  /** Aborts when the caller cancels or the call's time budget runs out. */
  signal: AbortSignal;
  cancelled(): boolean;
  timedOut(): boolean;
}

/**
 * One signal bounding the whole call, body included: some SDKs only time the wait for headers, and
 * one (Mistral) ignores its timeout once a signal is given. Which of the two fired decides whether a
 * failure is reported as 'cancelled' or 'timeout'.
 */
export function callSignal(options: CallOptions): CallSignal {
  const deadline = AbortSignal.timeout(Math.max(1, options.timeoutMs));
  return {
    signal: AbortSignal.any([options.signal, deadline]),
    cancelled: () => options.signal.aborted,
    timedOut: () => deadline.aborted && !options.signal.aborted,
  };
}
