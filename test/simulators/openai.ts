import type { SimScript, Simulator } from './base.ts';
import { startOpenAIShapedSimulator, type ErrorReply, type OpenAIShapedFlavor } from './openaiShaped.ts';

/**
 * OpenAI's Chat Completions API as the openai SDK sees it: `/v1/chat/completions` and
 * `/v1/models`, `{"error":{message,type,param,code}}` bodies, `x-request-id: req_…`, usage only
 * on request (`stream_options.include_usage`) as a last chunk with empty `choices`, `[DONE]`.
 */
const REASONING = /^o[134](?:$|[-.])/;
const NO_INSTRUCTIONS = /^o1-(?:mini|preview)(?:$|-)/;
const NO_STOP = /^o[34](?:$|[-.])/;

const err = (message: string, type: string, param: string | null, code: string | null) => ({ error: { message, type, param, code } });
const bad = (message: string, param: string | null, code: string | null): ErrorReply => ({ status: 400, body: err(message, 'invalid_request_error', param, code) });

function validate(body: Record<string, any>): ErrorReply | undefined {
  if (typeof body.model !== 'string' || body.model === '') return bad('you must provide a model parameter', null, null);
  if (!Array.isArray(body.messages)) return bad("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (body.messages.length === 0) {
    return bad("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
  }
  if (body.stream_options != null && body.stream !== true) {
    return bad("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', null);
  }
  if (typeof body.temperature === 'number' && body.temperature > 2) {
    return bad(`Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got ${body.temperature} instead.`, 'temperature', 'decimal_above_max_value');
  }
  if (Array.isArray(body.stop) && body.stop.length > 4) {
    return bad(`Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ${body.stop.length} instead.`, 'stop', 'array_above_max_length');
  }
  if (body.model.includes('does-not-exist')) {
    return { status: 404, body: err(`The model \`${body.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found') };
  }
  if (!REASONING.test(body.model)) return undefined;
  if (body.max_tokens !== undefined) {
    return bad("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", 'max_tokens', 'unsupported_parameter');
  }
  for (const p of ['temperature', 'top_p'] as const) {
    if (body[p] !== undefined && body[p] !== 1) {
      return bad(`Unsupported value: '${p}' does not support ${body[p]} with this model. Only the default (1) value is supported.`, p, 'unsupported_value');
    }
  }
  if (NO_STOP.test(body.model) && body.stop !== undefined) {
    return bad("Unsupported parameter: 'stop' is not supported with this model.", 'stop', 'unsupported_parameter');
  }
  const i = body.messages.findIndex((m: { role?: string }) => m.role === 'system' || m.role === 'developer');
  if (NO_INSTRUCTIONS.test(body.model) && i >= 0) {
    return bad(`Unsupported value: 'messages[${i}].role' does not support '${body.messages[i].role}' with this model.`, `messages[${i}].role`, 'unsupported_value');
  }
  return undefined;
}

function errorBody(status: number, message: string | undefined, model: string, apiKey: string): unknown {
  switch (status) {
    case 400: return err(message ?? 'We could not parse the JSON body of your request.', 'invalid_request_error', null, null);
    case 401: return err(message ?? incorrectKey(apiKey), 'invalid_request_error', null, 'invalid_api_key');
    case 403: return err(message ?? `Project \`proj_sim\` does not have access to model \`${model}\``, 'invalid_request_error', null, 'model_not_found');
    case 404: return err(message ?? `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, message ? null : 'model_not_found');
    case 429: return err(
      message ?? `Rate limit reached for ${model} in organization org-sim on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
      'requests', null, 'rate_limit_exceeded');
    case 500: return err(message ?? 'The server had an error while processing your request. Sorry about that!', 'server_error', null, null);
    case 503: return err(message ?? 'The server is overloaded or not ready yet.', 'server_error', null, null);
    default: return err(message ?? `HTTP ${status}`, status >= 500 ? 'server_error' : 'invalid_request_error', null, null);
  }
}

const incorrectKey = (key: string) =>
  `Incorrect API key provided: ${key.slice(0, 6)}***...${key.slice(-3)}. You can find your API key at https://platform.openai.com/account/api-keys.`;

function authFailure(key: string | undefined): ErrorReply {
  const message = key === undefined
    ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys."
    : incorrectKey(key);
  return { status: 401, body: err(message, 'invalid_request_error', null, key === undefined ? null : 'invalid_api_key'), headers: { 'www-authenticate': 'Bearer realm="OpenAI API"' } };
}

const MODELS = [
  ['gpt-4o', 1715367049, 'system'], ['gpt-4o-mini', 1721172741, 'system'], ['o1', 1734375816, 'system'],
  ['gpt-4-turbo', 1712361441, 'system'], ['text-embedding-3-small', 1705948997, 'system'], ['text-embedding-3-large', 1705953180, 'system'],
] as const;

export const openaiFlavor: OpenAIShapedFlavor = {
  name: 'openai',
  chatPaths: ['/v1/chat/completions'],
  modelsPaths: ['/v1/models'],
  requestIdHeader: 'x-request-id',
  newRequestId: (n) => `req_${n.toString(16).padStart(32, '0')}`,
  newCompletionId: (n) => `chatcmpl-SIM${n.toString().padStart(26, '0')}`,
  jsonContentType: 'application/json',
  sseContentType: 'text/event-stream; charset=utf-8',
  commonHeaders: () => ({ 'openai-version': '2020-10-01', 'openai-organization': 'org-sim', 'openai-processing-ms': '42' }),
  errorHeaders: (status): Record<string, string> => (status === 429
    ? { 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20s' }
    : {}),
  errorBody,
  authFailure,
  validate,
  modelList: () => ({ object: 'list', data: MODELS.map(([id, created, owned_by]) => ({ id, object: 'model', created, owned_by })) }),
  usageBody: (c) => ({
    prompt_tokens: c.prompt,
    completion_tokens: c.completion,
    total_tokens: c.prompt + c.completion,
    prompt_tokens_details: { cached_tokens: c.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: c.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  }),
  // Chat Completions report o-series reasoning as a token count only, never as text.
  reasoning: (model, usage) => ({ tokens: usage === 'reasoning' || REASONING.test(model) }),
  completionExtras: () => ({ service_tier: 'default', system_fingerprint: 'fp_sim0001' }),
  chunkExtras: () => ({}),
  usageOnFinishChunk: false,
  usageChunkOnRequest: true,
  keepAlive: false,
};

export function startOpenAISimulator(): Promise<Simulator<SimScript>> {
  return startOpenAIShapedSimulator(openaiFlavor);
}
