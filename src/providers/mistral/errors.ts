import {
  ConnectionError, HTTPClientError, MistralError, RequestAbortedError, RequestTimeoutError, ResponseValidationError,
  SDKValidationError,
} from '@mistralai/mistralai/models/errors';
import type { CallSignal } from '../shared/callSignal.ts';
import { kindForStatus } from '../shared/httpStatus.ts';
import { errorText } from '../shared/keyScrub.ts';
import { retryAfterMs } from '../shared/retryAfter.ts';
import { ProviderError, type ProviderErrorKind } from '../types.ts';

interface MistralErrorBody {
  message?: unknown;
  type?: unknown;
  code?: unknown;
  detail?: unknown;
}

/**
 * What the error body says. API errors are `{"object":"error","message","type","code"}`, where a
 * 422's message is `{"detail":[...]}`; the auth gateway answers `{"message":"Unauthorized"}`.
 */
function describe(body: string): { message: string | undefined; code: string | undefined } {
  let parsed: MistralErrorBody;
  try {
    parsed = JSON.parse(body) as MistralErrorBody;
  } catch {
    return { message: body.trim().slice(0, 500) || undefined, code: undefined };
  }
  const detail = (typeof parsed.message === 'object' && parsed.message !== null ? (parsed.message as MistralErrorBody).detail : parsed.detail);
  const message = typeof parsed.message === 'string' ? parsed.message
    : Array.isArray(detail) ? detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg ?? ''}`).join('; ')
    : undefined;
  const code = typeof parsed.type === 'string' ? parsed.type : typeof parsed.code === 'string' ? parsed.code : undefined;
  return { message, code };
}

export function toProviderError(err: unknown, apiKey: string, call: CallSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  const fail = (kind: ProviderErrorKind, message: string, extra: Partial<ConstructorParameters<typeof ProviderError>[0]> = {}) =>
    new ProviderError({ provider: 'mistral', kind, message: errorText(message, apiKey), ...extra });

  if (call.cancelled()) return fail('cancelled', 'request cancelled by the caller');
  if (call.timedOut() || err instanceof RequestTimeoutError) return fail('timeout', 'Mistral did not answer within the time limit');
  if (err instanceof RequestAbortedError) return fail('cancelled', 'request cancelled');
  if (err instanceof ResponseValidationError) {
    return fail('invalid_response', `Mistral sent a response the SDK could not read (HTTP ${err.statusCode})`, { status: err.statusCode });
  }
  if (err instanceof MistralError) {
    const { message, code } = describe(err.body);
    return fail(kindForStatus(err.statusCode), message ?? `Mistral answered HTTP ${err.statusCode}`, {
      status: err.statusCode,
      retryAfterMs: retryAfterMs(err.headers),
      providerCode: code,
    });
  }
  if (err instanceof SDKValidationError) return fail('bad_request', `request rejected by the Mistral SDK: ${err.message}`);
  if (err instanceof ConnectionError || err instanceof HTTPClientError) {
    const cause = (err as { cause?: unknown }).cause;
    return fail('connection', `could not reach Mistral: ${cause instanceof Error ? cause.message : err.message}`);
  }
  if (err instanceof SyntaxError) return fail('invalid_response', `Mistral sent a response that is not valid JSON: ${err.message}`);
  // Body read failures ("terminated", socket resets) while a stream was being read.
  return fail('connection', `connection to Mistral failed: ${err instanceof Error ? err.message : String(err)}`);
}
