import { ApiError } from '@google/genai';
import type { CallSignal } from '../shared/callSignal.ts';
import { kindForStatus } from '../shared/httpStatus.ts';
import { errorText } from '../shared/keyScrub.ts';
import { parseDurationMs } from '../shared/retryAfter.ts';
import { ProviderError, type ProviderErrorKind } from '../types.ts';

interface RpcError {
  code?: number;
  message?: string;
  status?: string;
  details?: { '@type'?: string; reason?: string; retryDelay?: string }[];
}

// ErrorInfo reasons Google gives for a key that is wrong, expired or not allowed to call the API.
const KEY_REASONS = new Set(['API_KEY_INVALID', 'API_KEY_EXPIRED', 'API_KEY_SERVICE_BLOCKED', 'API_KEY_HTTP_REFERRER_BLOCKED', 'API_KEY_IP_ADDRESS_BLOCKED']);

/**
 * The SDK's ApiError carries only a status and the error body serialized into its message
 * (`{"error":{...}}`, or `got status: X. {...}` for errors inside a stream); the body is read back
 * from there.
 */
export function rpcErrorOf(err: ApiError): RpcError | undefined {
  const start = err.message.indexOf('{');
  if (start < 0) return undefined;
  try {
    const parsed = JSON.parse(err.message.slice(start)) as { error?: RpcError };
    return parsed.error && typeof parsed.error === 'object' ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

export function toProviderError(err: unknown, apiKey: string, call: CallSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  const fail = (kind: ProviderErrorKind, message: string, extra: Partial<ConstructorParameters<typeof ProviderError>[0]> = {}) =>
    new ProviderError({ provider: 'google', kind, message: errorText(message, apiKey), ...extra });

  if (call.cancelled()) return fail('cancelled', 'request cancelled by the caller');
  if (call.timedOut()) return fail('timeout', 'Gemini did not answer within the time limit');
  if (err instanceof ApiError) {
    const rpc = rpcErrorOf(err);
    const reason = rpc?.details?.find((d) => d['@type']?.endsWith('google.rpc.ErrorInfo'))?.reason;
    const retryDelay = rpc?.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay;
    const kind = reason && KEY_REASONS.has(reason) ? 'authentication' : kindForStatus(err.status);
    return fail(kind, rpc?.message ?? `Gemini answered HTTP ${err.status}`, {
      status: err.status,
      retryAfterMs: parseDurationMs(retryDelay),
      providerCode: reason ?? rpc?.status,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof SyntaxError || /exception parsing stream chunk/.test(message)) {
    return fail('invalid_response', `Gemini sent a response that is not valid JSON: ${message}`);
  }
  // fetch failures ("fetch failed", "terminated") and a stream that ends mid-event.
  const cause = (err as { cause?: unknown }).cause;
  return fail('connection', `connection to Gemini failed: ${message}${cause instanceof Error ? ` (${cause.message})` : ''}`);
}
