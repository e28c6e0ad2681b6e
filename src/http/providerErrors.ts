import type { ProviderError } from '../providers/types.ts';
import { HttpError } from './errors.ts';

/**
 * A provider failure as the client sees it. The provider's own words are kept in `details`; the
 * status says whose problem it is: ours to retry later (429/502/504) or the request's (400).
 */
export function providerHttpError(err: ProviderError, projectId: string): HttpError {
  const details = {
    provider: err.provider,
    kind: err.kind,
    provider_status: err.status ?? null,
    provider_code: err.providerCode ?? null,
    provider_message: err.message,
  };
  const retryAfter: Record<string, string> = err.retryAfterMs !== undefined
    ? { 'retry-after': String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) } : {};
  switch (err.kind) {
    case 'authentication':
      return new HttpError(502, 'provider_authentication_failed',
        `${err.provider} rejected the configured API key; replace it with POST /projects/${projectId}/ai/providers`, details);
    case 'rate_limited':
      return new HttpError(429, 'provider_rate_limited', `${err.provider} is rate limiting this project's key; retry later`, details, retryAfter);
    case 'overloaded':
      return new HttpError(503, 'provider_overloaded', `${err.provider} is overloaded; retry later`, details, retryAfter);
    case 'bad_request':
      return new HttpError(400, 'provider_rejected_request', `${err.provider} rejected the request: ${err.message}`, details);
    case 'timeout':
      return new HttpError(504, 'provider_timeout', `${err.provider} did not answer in time`, details);
    case 'cancelled':
      return new HttpError(499, 'client_closed_request', 'the request was cancelled', details);
    case 'connection':
      return new HttpError(502, 'provider_unreachable', `could not reach ${err.provider}`, details);
    case 'upstream':
    case 'invalid_response':
      return new HttpError(502, 'provider_error', `${err.provider} failed to answer`, details);
  }
}
