import type { CallSignal } from '../shared/callSignal.ts';
import { kindForStatus } from '../shared/httpStatus.ts';
import { errorText } from '../shared/keyScrub.ts';
import { retryAfterMs } from '../shared/retryAfter.ts';
import { ProviderError, type ProviderErrorKind, type ProviderName } from '../types.ts';

/**
 * The error classes of a Stainless-generated SDK (openai, groq-sdk). Both SDKs share the shape but
 * not the classes, so each adapter hands its own SDK's classes to the mapper below.
 */
export interface SdkErrorClasses {
  APIError: abstract new (...args: never[]) => Error;
  APIUserAbortError: abstract new (...args: never[]) => Error;
  APIConnectionError: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
}

export interface ErrorContext {
  apiKey: string;
  /** Whether the caller cancelled or the call's budget ran out decides how any failure is reported. */
  call: CallSignal;
}

interface StainlessApiError {
  status?: number | undefined;
  headers?: Headers | undefined;
  error?: unknown;
  message: string;
}

/**
 * Exhausted billing (DeepSeek's 402, OpenAI's 429 `insufficient_quota`) is no rate limit: retrying
 * cannot help and only the key's owner can fix it, as with a revoked key.
 */
function kindFor(status: number, code: string | undefined): ProviderErrorKind {
  if (status === 402 || (status === 429 && code === 'insufficient_quota')) return 'authentication';
  return kindForStatus(status);
}

/** Maps anything an OpenAI-shaped SDK call threw to a ProviderError with the key scrubbed out. */
export function mapSdkError(provider: ProviderName, classes: SdkErrorClasses, err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  const make = (kind: ProviderErrorKind, message: string, extra: Partial<ConstructorParameters<typeof ProviderError>[0]> = {}) =>
    new ProviderError({ provider, kind, message: errorText(message, ctx.apiKey), ...extra });

  if (ctx.call.cancelled()) return make('cancelled', 'the request was cancelled by the caller');
  if (ctx.call.timedOut()) return make('timeout', `${provider} did not finish in time`);
  if (err instanceof classes.APIConnectionTimeoutError) return make('timeout', `${provider} did not answer in time`);
  if (err instanceof classes.APIUserAbortError) return make('cancelled', 'the request was cancelled');
  if (err instanceof classes.APIConnectionError) {
    return make('connection', `could not reach ${provider}: ${causeText(err)}`);
  }
  if (err instanceof classes.APIError) {
    const e = err as unknown as StainlessApiError;
    const body = providerErrorBody(e.error);
    const message = body.message ?? e.message;
    if (e.status === undefined) {
      // An error event inside an otherwise successful stream.
      return make('upstream', message, { providerCode: body.code });
    }
    return make(kindFor(e.status, body.code), message, { status: e.status, providerCode: body.code, retryAfterMs: retryAfterMs(e.headers) });
  }
  // Checked by name, not instanceof: fetch's errors may come from another realm than this module's.
  const name = isObject(err) ? err.name : undefined;
  if (name === 'SyntaxError') return make('invalid_response', `${provider} sent a response that could not be parsed`);
  // A socket torn down while reading the body surfaces from fetch as a bare TypeError ("terminated").
  if (name === 'TypeError' || isNetworkError(err)) return make('connection', `connection to ${provider} failed: ${causeText(err)}`);
  return make('invalid_response', `unexpected failure talking to ${provider}: ${isObject(err) ? String(err.message) : String(err)}`);
}

/** OpenAI/DeepSeek SDK errors carry `body.error`; groq-sdk carries the whole body. */
function providerErrorBody(raw: unknown): { message: string | undefined; code: string | undefined } {
  const outer = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const inner = outer.error && typeof outer.error === 'object' ? (outer.error as Record<string, unknown>) : outer;
  const message = typeof inner.message === 'string' ? inner.message : undefined;
  const code = typeof inner.code === 'string' ? inner.code : typeof inner.type === 'string' ? inner.type : undefined;
  return { message, code };
}

function causeText(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 4 && isObject(cur) && typeof cur.message === 'string'; i++) {
    const { message, code } = cur;
    parts.push(typeof code === 'string' ? `${String(message)} (${code})` : String(message));
    cur = cur.cause;
  }
  return parts.join(': ') || 'unknown error';
}

function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|UND_ERR_)/.test(code);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
