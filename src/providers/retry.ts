import { ProviderError, type StreamEvent } from './types.ts';

/**
 * The gateway's one retry policy for upstream calls (SDK retries are off everywhere). Retryable
 * failures — 429, 5xx including 529 overloaded, lost connections — are retried a bounded number of
 * times with exponential backoff and full jitter. A provider's retry-after is honoured up to the
 * backoff cap; a longer one is not waited out but surfaced, so the client receives it instead.
 */
export interface RetryOptions {
  /** Retries after the first attempt; 0 means one attempt only. */
  maxRetries: number;
  /** The caller's signal: aborting stops waiting immediately and ends the retries. */
  signal: AbortSignal;
  baseDelayMs?: number;
  /** The longest single wait, for backoff and for a provider's retry-after alike. */
  maxDelayMs?: number;
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  /** The attempt about to be made, counting from 1 for the first retry. */
  retry: number;
  delayMs: number;
  error: ProviderError;
}

const DEFAULT_BASE_DELAY_MS = 250;
const DEFAULT_MAX_DELAY_MS = 8000;
/** However it is configured, never more than this many retries of one call. */
const RETRY_CEILING = 10;

export async function withRetries<T>(attempt: (attemptIndex: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const limit = retryLimit(options);
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const delayMs = retryDelay(err, n, limit, options);
      if (delayMs === undefined) throw err;
      options.onRetry?.({ retry: n + 1, delayMs, error: err as ProviderError });
      await pause(delayMs, options.signal, err as ProviderError);
    }
  }
}

/**
 * Retries opening a stream only until its first event has been yielded; after that a failure is
 * the caller's to handle, since the client has already seen part of the answer.
 */
export async function* streamWithRetries(
  open: (attemptIndex: number) => AsyncIterable<StreamEvent>,
  options: RetryOptions,
): AsyncGenerator<StreamEvent, void, undefined> {
  const limit = retryLimit(options);
  for (let n = 0; ; n++) {
    const iterator = open(n)[Symbol.asyncIterator]();
    let first: IteratorResult<StreamEvent>;
    try {
      first = await iterator.next();
    } catch (err) {
      const delayMs = retryDelay(err, n, limit, options);
      if (delayMs === undefined) throw err;
      options.onRetry?.({ retry: n + 1, delayMs, error: err as ProviderError });
      await pause(delayMs, options.signal, err as ProviderError);
      continue;
    }
    if (first.done) return;
    yield first.value;
    // Delegation passes an early `return()` from the consumer on to the provider's stream.
    yield* { [Symbol.asyncIterator]: () => iterator };
    return;
  }
}

function retryLimit(options: RetryOptions): number {
  return Math.min(RETRY_CEILING, Math.max(0, Math.floor(options.maxRetries)));
}

/** How long to wait before the next attempt, or undefined when the failure must surface now. */
export function retryDelay(err: unknown, attemptIndex: number, limit: number, options: RetryOptions): number | undefined {
  if (!(err instanceof ProviderError) || !err.retryable) return undefined;
  if (attemptIndex >= limit || options.signal.aborted) return undefined;
  const base = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const cap = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const backoff = Math.random() * Math.min(cap, base * 2 ** attemptIndex);
  if (err.retryAfterMs === undefined) return Math.round(backoff);
  // Waiting longer than the cap would hold the client's request open; let it see retry-after.
  if (err.retryAfterMs > cap) return undefined;
  return Math.round(Math.max(err.retryAfterMs, backoff));
}

function pause(ms: number, signal: AbortSignal, cause: ProviderError): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelled(cause));
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled(cause));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function cancelled(cause: ProviderError): ProviderError {
  return new ProviderError({ provider: cause.provider, kind: 'cancelled', message: 'the request was cancelled while waiting to retry' });
}
