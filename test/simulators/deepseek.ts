import type { SimScript, Simulator } from './base.ts';
import { startOpenAIShapedSimulator, type ErrorReply, type OpenAIShapedFlavor } from './openaiShaped.ts';

/**
 * DeepSeek's API (reached with the openai SDK): served at the host root and under /v1, error
 * bodies `{"error":{message,type,param:null,code}}` echoing the key's last four characters on 401,
 * usage with `prompt_cache_hit_tokens`/`prompt_cache_miss_tokens`, `reasoning_content` for
 * deepseek-reasoner, and keep-alive SSE comments / blank lines while the model works.
 */
const MAX_TOKENS: Record<string, number> = { 'deepseek-chat': 8192, 'deepseek-reasoner': 65536 };

const err = (message: string, type: string, code = 'invalid_request_error') => ({ error: { message, type, param: null, code } });
const bad = (message: string): ErrorReply => ({ status: 400, body: err(message, 'invalid_request_error') });

function validate(body: Record<string, any>): ErrorReply | undefined {
  const limit = MAX_TOKENS[body.model];
  if (limit === undefined) return bad('Model Not Exist');
  if (!Array.isArray(body.messages) || body.messages.length === 0) return bad('Empty input messages');
  if (body.max_tokens !== undefined && (!Number.isInteger(body.max_tokens) || body.max_tokens < 1 || body.max_tokens > limit)) {
    return bad(`Invalid max_tokens value, the valid range of max_tokens is [1, ${limit}]`);
  }
  if (typeof body.temperature === 'number' && (body.temperature < 0 || body.temperature > 2)) {
    return { status: 422, body: err('Invalid temperature value, the valid range of temperature is [0, 2]', 'invalid_request_error') };
  }
  if (body.model === 'deepseek-reasoner' && body.messages.some((m: Record<string, unknown>) => 'reasoning_content' in m)) {
    return bad('The reasoning_content is an intermediate result for display purposes only and must not be sent back in messages');
  }
  return undefined;
}

function errorBody(status: number, message: string | undefined, _model: string, apiKey: string): unknown {
  switch (status) {
    case 400: return err(message ?? 'Invalid Format', 'invalid_request_error');
    case 401: return err(message ?? invalidKey(apiKey), 'authentication_error');
    case 402: return err(message ?? 'Insufficient Balance', 'unknown_error');
    case 422: return err(message ?? 'Invalid Parameters', 'invalid_request_error');
    case 429: return err(message ?? 'Rate Limit Reached', 'rate_limit_error');
    case 500: return err(message ?? 'Server Error', 'server_error', 'server_error');
    case 503: return err(message ?? 'Server Overloaded', 'server_error', 'server_overloaded');
    default: return err(message ?? `HTTP ${status}`, status >= 500 ? 'server_error' : 'invalid_request_error');
  }
}

const invalidKey = (key: string) => `Authentication Fails, Your api key: ****${key.slice(-4)} is invalid`;

export const deepseekFlavor: OpenAIShapedFlavor = {
  name: 'deepseek',
  chatPaths: ['/chat/completions', '/v1/chat/completions'],
  modelsPaths: ['/models', '/v1/models'],
  requestIdHeader: 'x-ds-trace-id',
  newRequestId: (n) => n.toString(16).padStart(32, '0'),
  newCompletionId: (n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
  jsonContentType: 'application/json',
  sseContentType: 'text/event-stream; charset=utf-8',
  commonHeaders: () => ({ vary: 'origin, access-control-request-method, access-control-request-headers' }),
  errorBody,
  authFailure: (key) => ({
    status: 401,
    body: err(key === undefined ? 'Authentication Fails (auth header format should be Bearer sk-...)' : invalidKey(key), 'authentication_error'),
  }),
  validate,
  modelList: () => ({
    object: 'list',
    data: [{ id: 'deepseek-chat', object: 'model', owned_by: 'deepseek' }, { id: 'deepseek-reasoner', object: 'model', owned_by: 'deepseek' }],
  }),
  usageBody: (c) => ({
    prompt_tokens: c.prompt,
    completion_tokens: c.completion,
    total_tokens: c.prompt + c.completion,
    prompt_tokens_details: { cached_tokens: c.cached },
    ...(c.reasoning ? { completion_tokens_details: { reasoning_tokens: c.reasoning } } : {}),
    prompt_cache_hit_tokens: c.cached,
    prompt_cache_miss_tokens: c.prompt - c.cached,
  }),
  reasoning: (model, usage) => (model === 'deepseek-reasoner' || usage === 'reasoning'
    ? { tokens: true, field: 'reasoning_content' }
    : { tokens: false }),
  completionExtras: () => ({ system_fingerprint: 'fp_sim0001_prod0820_fp8_kvcache' }),
  chunkExtras: () => ({}),
  usageOnFinishChunk: true,
  usageChunkOnRequest: true,
  keepAlive: true,
};

export function startDeepSeekSimulator(): Promise<Simulator<SimScript>> {
  return startOpenAIShapedSimulator(deepseekFlavor);
}
