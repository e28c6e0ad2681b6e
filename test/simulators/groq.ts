import type { SimScript, Simulator } from './base.ts';
import { startOpenAIShapedSimulator, type ErrorReply, type OpenAIShapedFlavor } from './openaiShaped.ts';

/**
 * Groq's OpenAI-compatible API as groq-sdk sees it: `/openai/v1/chat/completions` and
 * `/openai/v1/models`, `{"error":{message,type,code}}` bodies, strict request validation
 * (unknown properties are refused), stream usage under `x_groq.usage` on the finish chunk plus an
 * OpenAI-style usage chunk when `stream_options.include_usage` is set.
 */
const KNOWN_PROPERTIES = new Set([
  'messages', 'model', 'citation_options', 'compound_custom', 'disable_tool_validation', 'documents', 'exclude_domains',
  'frequency_penalty', 'function_call', 'functions', 'include_domains', 'include_reasoning', 'logit_bias', 'logprobs',
  'max_completion_tokens', 'max_tokens', 'metadata', 'n', 'parallel_tool_calls', 'presence_penalty', 'reasoning_effort',
  'reasoning_format', 'response_format', 'search_settings', 'seed', 'service_tier', 'stop', 'store', 'stream',
  'stream_options', 'temperature', 'tool_choice', 'tools', 'top_logprobs', 'top_p', 'user',
]);

const err = (message: string, type: string, code?: string) => ({ error: { message, type, ...(code ? { code } : {}) } });
const bad = (message: string): ErrorReply => ({ status: 400, body: err(message, 'invalid_request_error') });

function validate(body: Record<string, any>): ErrorReply | undefined {
  const unknown = Object.keys(body).find((k) => !KNOWN_PROPERTIES.has(k));
  if (unknown) return bad(`property '${unknown}' is unsupported`);
  if (typeof body.model !== 'string' || body.model === '') return bad("'model' : property 'model' is missing");
  if (!Array.isArray(body.messages) || body.messages.length === 0) return bad("'messages' : minimum number of items is 1");
  if (typeof body.temperature === 'number' && body.temperature > 2) return bad("'temperature' : number must be at most 2");
  if (Array.isArray(body.stop) && body.stop.length > 4) return bad("'stop' : maximum number of items is 4");
  if (body.n !== undefined && body.n !== 1) return bad("'n' : number must be at most 1");
  if (body.stream_options != null && body.stream !== true) return bad('stream_options can only be set when stream is true');
  if (body.model.includes('does-not-exist')) {
    return { status: 404, body: err(`The model \`${body.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found') };
  }
  return undefined;
}

function errorBody(status: number, message: string | undefined, model: string): unknown {
  switch (status) {
    case 400: return err(message ?? 'Bad Request', 'invalid_request_error');
    case 401: return err(message ?? 'Invalid API Key', 'invalid_request_error', 'invalid_api_key');
    case 403: return err(message ?? 'Forbidden', 'permissions_error', 'forbidden');
    case 404: return err(message ?? `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', message ? 'unknown_url' : 'model_not_found');
    case 429: return err(
      message ?? `Rate limit reached for model \`${model}\` in organization \`org_sim\` service tier \`on_demand\` on requests per minute (RPM): Limit 30, Used 30, Requested 1. Please try again in 2s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing`,
      'requests', 'rate_limit_exceeded');
    case 500: return err(message ?? 'Internal Server Error', 'internal_server_error');
    case 503: return err(message ?? 'Service Unavailable', 'internal_server_error', 'service_unavailable');
    default: return err(message ?? `HTTP ${status}`, status >= 500 ? 'internal_server_error' : 'invalid_request_error');
  }
}

export const groqFlavor: OpenAIShapedFlavor = {
  name: 'groq',
  chatPaths: ['/openai/v1/chat/completions'],
  modelsPaths: ['/openai/v1/models'],
  requestIdHeader: 'x-request-id',
  newRequestId: (n) => `req_01sim${n.toString(36).padStart(21, '0')}`,
  newCompletionId: (n) => `chatcmpl-00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
  jsonContentType: 'application/json',
  sseContentType: 'text/event-stream',
  commonHeaders: () => ({ 'x-groq-region': 'sim', 'cache-control': 'private, max-age=0, no-store, no-cache, must-revalidate' }),
  errorHeaders: (status): Record<string, string> => (status === 429
    ? { 'x-ratelimit-limit-requests': '30', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2s' }
    : {}),
  errorBody,
  authFailure: () => ({ status: 401, body: err('Invalid API Key', 'invalid_request_error', 'invalid_api_key') }),
  validate,
  modelList: () => ({
    object: 'list',
    data: [
      ['llama-3.3-70b-versatile', 'Meta', 131072, 32768],
      ['mixtral-8x7b-32768', 'Mistral AI', 32768, 32768],
      ['gemma2-9b-it', 'Google', 8192, 8192],
    ].map(([id, owned_by, context_window, max_completion_tokens]) => ({
      id, object: 'model', created: 1733447754, owned_by, active: true, context_window, public_apps: null, max_completion_tokens,
    })),
  }),
  usageBody: (c) => ({
    queue_time: 0.0123,
    prompt_tokens: c.prompt,
    prompt_time: 0.0021,
    completion_tokens: c.completion,
    completion_time: 0.0234,
    total_tokens: c.prompt + c.completion,
    total_time: 0.0255,
    ...(c.cached ? { prompt_tokens_details: { cached_tokens: c.cached } } : {}),
    ...(c.reasoning ? { completion_tokens_details: { reasoning_tokens: c.reasoning } } : {}),
  }),
  reasoning: (_model, usage) => (usage === 'reasoning' ? { tokens: true, field: 'reasoning' } : { tokens: false }),
  completionExtras: (ctx) => ({ usage_breakdown: null, system_fingerprint: 'fp_sim0001', x_groq: { id: ctx.requestId }, service_tier: 'on_demand' }),
  chunkExtras: (ctx, position, usage) => {
    if (position === 'first' || position === 'usage') return { x_groq: { id: ctx.requestId } };
    if (position === 'finish') return { x_groq: usage ? { id: ctx.requestId, usage } : { id: ctx.requestId } };
    return {};
  },
  usageOnFinishChunk: false,
  usageChunkOnRequest: true,
  keepAlive: false,
};

export function startGroqSimulator(): Promise<Simulator<SimScript>> {
  return startOpenAIShapedSimulator(groqFlavor);
}
