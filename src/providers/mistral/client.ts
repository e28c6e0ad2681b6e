import { Mistral } from '@mistralai/mistralai';
import type { RequestOptions } from '@mistralai/mistralai/lib/sdks.js';
import type { CallSignal } from '../shared/callSignal.ts';
import { ClientCache } from '../shared/clientCache.ts';
import type { CallOptions } from '../types.ts';

export const MISTRAL_DEFAULT_BASE_URL = 'https://api.mistral.ai';

/** One client per (key, base URL), shared by every Mistral endpoint the gateway uses. */
export const mistralClients = new ClientCache((creds) => new Mistral({
  apiKey: creds.apiKey,
  serverURL: creds.baseUrl ?? MISTRAL_DEFAULT_BASE_URL,
  // The gateway has one retry policy; the SDK must not add its own.
  retryConfig: { strategy: 'none' },
}));

/**
 * Per-call SDK options. The SDK ignores `timeoutMs` once a signal is given, so the deadline lives in
 * the call signal; `timeoutMs` is still passed for requests made without one.
 */
export function requestOptions(options: CallOptions, call: CallSignal): RequestOptions {
  return { signal: call.signal, timeoutMs: options.timeoutMs, retries: { strategy: 'none' } };
}
