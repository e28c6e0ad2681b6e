import type { Usage } from '../domain/usage.ts';

/**
 * What every provider adapter implements. An adapter maps the gateway's normalized request to what
 * its provider's official SDK expects, and maps responses, stream events, usage and errors back.
 * Adapters never retry (see retry.ts: one policy for all), never log, and never put the API key in
 * anything they return or throw.
 */
export const PROVIDERS = ['openai', 'anthropic', 'google', 'groq', 'mistral', 'deepseek'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  /** The provider's own model id (aliases are resolved before the adapter is called). */
  model: string;
  messages: ChatMessage[];
  temperature?: number | undefined;
  max_tokens?: number | undefined;
  top_p?: number | undefined;
  stop?: string[] | undefined;
}

export interface ProviderCredentials {
  apiKey: string;
  /** Exactly what the provider's SDK takes as its base URL; the SDK default when absent. */
  baseUrl?: string | undefined;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'error' | 'other';

export interface ChatResult {
  content: string;
  /** Reasoning text (DeepSeek reasoner, etc.), never mixed into content. */
  reasoning?: string | undefined;
  finishReason: FinishReason;
  /** undefined when the provider reported none; the caller then estimates. */
  usage: Usage | undefined;
  /** The provider's id for the response, when it gives one. */
  providerResponseId?: string | undefined;
}

export type StreamEvent =
  | { type: 'delta'; text: string }
  | { type: 'reasoning'; text: string }
  /** Usage so far; later events replace earlier ones (providers send running totals). */
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; finishReason: FinishReason; providerResponseId?: string | undefined };

export interface CallOptions {
  signal: AbortSignal;
  /** Upper bound for the whole call; the adapter passes it to the SDK. */
  timeoutMs: number;
}

export interface ConnectivityResult {
  /** What the minimal request was, e.g. "GET /v1/models". */
  probe: string;
}

export interface ProviderAdapter {
  readonly name: ProviderName;
  /** Checks a base URL is the kind this provider's SDK takes; returns an error message or undefined. */
  checkBaseUrl(url: URL): string | undefined;
  chat(creds: ProviderCredentials, request: ChatRequest, options: CallOptions): Promise<ChatResult>;
  /** Yields deltas as they arrive. Throws ProviderError; once a delta was yielded, never retried. */
  chatStream(creds: ProviderCredentials, request: ChatRequest, options: CallOptions): AsyncIterable<StreamEvent>;
  /** A minimal real request proving the key works (listing models where the API allows it). */
  testConnection(creds: ProviderCredentials, options: CallOptions): Promise<ConnectivityResult>;
}

export type ProviderErrorKind =
  | 'authentication'   // 401/403: wrong or revoked key
  | 'rate_limited'     // 429 (and Anthropic's 529 overloaded is 'overloaded')
  | 'overloaded'
  | 'bad_request'      // 400/404/422 from the provider: our request or the model id is wrong
  | 'upstream'         // 5xx
  | 'timeout'
  | 'connection'       // no response at all
  | 'cancelled'        // the caller aborted
  | 'invalid_response';// the provider answered something we cannot parse

/** A provider failure, normalized. `message` is the provider's own text with any key scrubbed. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly provider: ProviderName;
  readonly kind: ProviderErrorKind;
  readonly status: number | undefined;
  /** From retry-after (seconds or HTTP date) or the body (Gemini's RetryInfo.retryDelay). */
  readonly retryAfterMs: number | undefined;
  /** The provider's error type/code string when it sent one, e.g. `invalid_api_key`. */
  readonly providerCode: string | undefined;
  constructor(init: {
    provider: ProviderName; kind: ProviderErrorKind; message: string;
    status?: number | undefined; retryAfterMs?: number | undefined; providerCode?: string | undefined;
  }) {
    super(init.message);
    this.provider = init.provider;
    this.kind = init.kind;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.providerCode = init.providerCode;
  }
  /** Worth another attempt (only ever before the first streamed byte). */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'overloaded' || this.kind === 'upstream' || this.kind === 'connection';
  }
}
