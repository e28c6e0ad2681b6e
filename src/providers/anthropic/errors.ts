import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { CallSignal } from '../shared/callSignal.ts';
import { kindForStatus } from '../shared/httpStatus.ts';
import { errorText } from '../shared/keyScrub.ts';
import { retryAfterMs } from '../shared/retryAfter.ts';
import { ProviderError, type ProviderErrorKind } from '../types.ts';

// Mid-stream `event: error` frames carry a type but no HTTP status.
const KIND_BY_TYPE: Record<string, ProviderErrorKind> = {
  invalid_request_error: 'bad_request',
  authentication_error: 'authentication',
  permission_error: 'authentication',
  billing_error: 'bad_request',
  not_found_error: 'bad_request',
  request_too_large: 'bad_request',
  rate_limit_error: 'rate_limited',
  api_error: 'upstream',
  timeout_error: 'upstream',
  overloaded_error: 'overloaded',
};

/** Any failure of an Anthropic SDK call as a ProviderError, with the key scrubbed from the text. */
export function toProviderError(err: unknown, apiKey: string, call: CallSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  const fail = (kind: ProviderErrorKind, message: string, extra: Partial<ConstructorParameters<typeof ProviderError>[0]> = {}) =>
    new ProviderError({ provider: 'anthropic', kind, message: errorText(message, apiKey), ...extra });

  if (call.cancelled()) return fail('cancelled', 'request cancelled by the caller');
  if (call.timedOut() || err instanceof APIConnectionTimeoutError) return fail('timeout', 'Anthropic did not answer within the time limit');
  if (err instanceof APIUserAbortError) return fail('cancelled', 'request cancelled');
  if (err instanceof APIConnectionError) return fail('connection', `could not reach Anthropic: ${causeText(err)}`);
  if (err instanceof APIError) {
    const type = typeof err.type === 'string' ? err.type : undefined;
    const kind = type === 'overloaded_error' ? 'overloaded'
      : err.status !== undefined ? kindForStatus(err.status)
      : (type && KIND_BY_TYPE[type]) ?? 'upstream';
    return fail(kind, err.apiMessage ?? err.message, {
      status: err.status,
      retryAfterMs: retryAfterMs(err.headers),
      providerCode: type,
    });
  }
  if (err instanceof SyntaxError) return fail('invalid_response', `Anthropic sent a response that is not valid JSON: ${err.message}`);
  // fetch body errors ("terminated", socket resets) while a stream was being read.
  return fail('connection', `connection to Anthropic failed: ${err instanceof Error ? err.message : String(err)}`);
}

function causeText(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? ((cause as { cause?: unknown }).cause ?? cause) : cause;
  return inner instanceof Error ? inner.message : err.message;
}
