import type { ProviderErrorKind } from '../types.ts';

/** The kind every provider's HTTP status maps to unless its adapter knows better. */
export function kindForStatus(status: number | undefined): ProviderErrorKind {
  if (status === undefined) return 'connection';
  if (status === 401 || status === 403) return 'authentication';
  if (status === 429) return 'rate_limited';
  if (status === 529) return 'overloaded';
  // 408 is the server giving up on a slow request; like a 5xx it is worth another attempt.
  if (status === 408) return 'upstream';
  if (status >= 500) return 'upstream';
  if (status >= 400) return 'bad_request';
  return 'invalid_response';
}
