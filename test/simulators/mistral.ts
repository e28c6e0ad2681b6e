import type { ServerResponse } from 'node:http';
import { sleep, startSimulator, writeSse, type RecordedRequest, type SimScript, type Simulator } from './base.ts';
import {
  CACHED_READ_TOKENS, REASONING_TEXT, chunksOf, defaultText, hangUntilClosed, killConnection, limitReply,
  randomId, tokensFor, writeFlushed, type ReplyScript,
} from './replies.ts';

/**
 * Mistral's chat API on the wire: `POST /v1/chat/completions` (JSON, or `data:` SSE chunks ending
 * with `data: [DONE]`, usage on the last chunk), `GET /v1/models`, bearer authentication answered
 * by the gateway's `{"message":"Unauthorized","request_id":...}`, and API errors as
 * `{"object":"error","message","type","param","code"}`. Requests are validated like the API:
 * unknown fields are a 422, the last message must come from the user (or tool, or an assistant
 * prefix), sampling values are range-checked. Reasoning models answer with `thinking` chunks;
 * cache hits show up as `usage.prompt_tokens_details.cached_tokens` inside prompt_tokens.
 */
const ERRORS: Record<number, { type: string; message: string; code: string | null }> = {
  400: { type: 'invalid_request_error', message: 'Invalid request', code: null },
  401: { type: 'unauthorized', message: 'Unauthorized', code: null },
  403: { type: 'forbidden', message: 'Forbidden', code: null },
  404: { type: 'invalid_model', message: 'Invalid model', code: '1500' },
  429: { type: 'rate_limited', message: 'Rate limit exceeded', code: '1300' },
  500: { type: 'internal_server_error', message: 'Internal server error', code: null },
  503: { type: 'service_unavailable', message: 'Service unavailable, please try again later', code: null },
};

const REQUEST_FIELDS = new Set([
  'model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stream', 'stop', 'random_seed', 'metadata',
  'response_format', 'tools', 'tool_choice', 'presence_penalty', 'frequency_penalty', 'n', 'prediction',
  'parallel_tool_calls', 'reasoning_effort', 'prompt_mode', 'guardrails', 'prompt_cache_key', 'service_tier', 'safe_prompt',
]);
const MODEL_FAMILIES = /^(mistral|open-|codestral|ministral|magistral|pixtral|devstral|voxtral)/;

export async function startMistralSimulator(): Promise<Simulator<SimScript>> {
  return startSimulator<SimScript>(async (req, res, script) => {
    const requestId = randomId(16);
    res.setHeader('mistral-correlation-id', `${randomId(4)}-${randomId(2)}-${randomId(2)}-${randomId(2)}-${randomId(6)}`);
    res.setHeader('x-kong-request-id', requestId);

    if (script?.kind === 'drop') return killConnection(res);
    if (script?.kind === 'hang') return hangUntilClosed(res);

    // Authentication happens in the API gateway in front of the models, hence its own body shape.
    const bearer = bearerOf(req);
    if (!bearer || bearer.includes('wrong')) {
      res.statusCode = 401;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('www-authenticate', 'Key');
      return void res.end(JSON.stringify({ message: 'Unauthorized', request_id: requestId }, null, 2));
    }

    if (req.method === 'GET' && req.path === '/v1/models') return listModels(res);
    if (req.method !== 'POST' || req.path !== '/v1/chat/completions') {
      return sendError(res, 404, { type: 'not_found', message: 'Not Found', code: null });
    }

    if (script?.kind === 'error') {
      const base = ERRORS[script.status] ?? { type: 'api_error', message: 'Error', code: null };
      if (script.retryAfter !== undefined) res.setHeader('retry-after', script.retryAfter);
      return sendError(res, script.status, { ...base, message: script.message ?? base.message });
    }

    const invalid = validate(req.body);
    if (invalid) return void sendJson(res, invalid.status, invalid.body);
    const body = req.body as ChatBody;
    if (!MODEL_FAMILIES.test(body.model)) {
      return sendError(res, 400, { type: 'invalid_model', message: `Invalid model: ${body.model}`, code: '1500' });
    }

    const reply: ReplyScript = script?.kind === 'reply' ? script : { kind: 'reply' };
    if (body.stream === true) return streamReply(res, body, reply, script);
    return jsonReply(res, body, reply);
  });
}

interface ChatBody {
  model: string;
  messages: { role: string; content: unknown; prefix?: boolean }[];
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  stop?: string | string[];
  stream?: boolean;
  safe_prompt?: boolean;
}

function unprocessable(loc: (string | number)[], type: string, msg: string, input: unknown) {
  return {
    status: 422,
    body: {
      object: 'error',
      message: { detail: [{ type, loc: ['body', ...loc], msg, input }] },
      type: 'invalid_request_message_error', param: null, code: null,
    },
  };
}

function validate(body: any): { status: number; body: unknown } | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return unprocessable([], 'model_attributes_type', 'Input should be a valid dictionary', body);
  for (const k of Object.keys(body)) {
    if (!REQUEST_FIELDS.has(k)) return unprocessable([k], 'extra_forbidden', 'Extra inputs are not permitted', body[k]);
  }
  if (typeof body.model !== 'string') return unprocessable(['model'], 'missing', 'Field required', body);
  if (!Array.isArray(body.messages) || body.messages.length === 0) return unprocessable(['messages'], 'missing', 'Field required', body);
  for (const [i, m] of body.messages.entries()) {
    if (!['system', 'user', 'assistant', 'tool'].includes(m?.role)) {
      return unprocessable(['messages', i, 'role'], 'literal_error', "Input should be 'system', 'user', 'assistant' or 'tool'", m?.role);
    }
  }
  const last = body.messages.at(-1);
  if (last.role !== 'user' && last.role !== 'tool' && !(last.role === 'assistant' && last.prefix === true)) {
    return { status: 400, body: { object: 'error', message: `Expected last role User or Tool (or Assistant with prefix True) for serving but got ${last.role}`, type: 'invalid_request_message_error', param: null, code: '3230' } };
  }
  if (body.temperature !== undefined && (typeof body.temperature !== 'number' || body.temperature < 0 || body.temperature > 1.5)) {
    return unprocessable(['temperature'], 'less_than_equal', 'Input should be less than or equal to 1.5', body.temperature);
  }
  if (body.top_p !== undefined && (typeof body.top_p !== 'number' || body.top_p < 0 || body.top_p > 1)) {
    return unprocessable(['top_p'], 'less_than_equal', 'Input should be less than or equal to 1', body.top_p);
  }
  if (body.max_tokens !== undefined && body.max_tokens !== null && (!Number.isInteger(body.max_tokens) || body.max_tokens < 0)) {
    return unprocessable(['max_tokens'], 'greater_than_equal', 'Input should be greater than or equal to 0', body.max_tokens);
  }
  if (body.safe_prompt !== undefined && typeof body.safe_prompt !== 'boolean') {
    return unprocessable(['safe_prompt'], 'bool_type', 'Input should be a valid boolean', body.safe_prompt);
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, e: { type: string; message: string; code: string | null }): void {
  sendJson(res, status, { object: 'error', message: e.message, type: e.type, param: null, code: e.code });
}

function listModels(res: ServerResponse): void {
  const card = (id: string, reasoning: boolean) => ({
    id, object: 'model', created: 1_750_000_000, owned_by: 'mistralai',
    capabilities: { completion_chat: true, function_calling: true, reasoning, completion_fim: false, fine_tuning: false, vision: false, ocr: false, classification: false, moderation: false, audio: false },
    name: id, description: `Simulated ${id}`, max_context_length: 131_072, aliases: [], deprecation: null,
    default_model_temperature: 0.3, type: 'base',
  });
  sendJson(res, 200, { object: 'list', data: [card('mistral-small-latest', false), card('magistral-medium-latest', true)] });
}

function promptText(body: ChatBody): string {
  return body.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('');
}

function usageFor(body: ChatBody, reply: ReplyScript, output: string) {
  const cached = reply.usage === 'cached' ? CACHED_READ_TOKENS : 0;
  const prompt = tokensFor(promptText(body)) + cached;
  // Mistral folds reasoning into completion_tokens and reports no separate count.
  const completion = tokensFor(output) + (reply.usage === 'reasoning' ? tokensFor(REASONING_TEXT) : 0);
  return {
    prompt_tokens: prompt,
    total_tokens: prompt + completion,
    completion_tokens: completion,
    ...(cached ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
  };
}

function stopsOf(body: ChatBody): string[] | undefined {
  return typeof body.stop === 'string' ? [body.stop] : body.stop;
}

function finishReasonFor(stoppedBy: 'end' | 'stop' | 'length'): string {
  return stoppedBy === 'length' ? 'length' : 'stop';
}

function jsonReply(res: ServerResponse, body: ChatBody, reply: ReplyScript): void {
  const limited = limitReply(reply.text ?? defaultText('mistral'), body.max_tokens ?? undefined, stopsOf(body));
  const content = reply.usage === 'reasoning'
    ? [{ type: 'thinking', thinking: [{ type: 'text', text: REASONING_TEXT }] }, { type: 'text', text: limited.text }]
    : limited.text;
  sendJson(res, 200, {
    id: randomId(16),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', tool_calls: null, content }, finish_reason: finishReasonFor(limited.stoppedBy) }],
    // The SDK's schema requires a usage object (counts default to 0), so "no usage" is all zeros.
    usage: reply.omitUsage ? { prompt_tokens: 0, total_tokens: 0, completion_tokens: 0 } : usageFor(body, reply, limited.text),
  });
}

async function streamReply(res: ServerResponse, body: ChatBody, reply: ReplyScript, script: SimScript | undefined): Promise<void> {
  const limited = limitReply(reply.text ?? defaultText('mistral'), body.max_tokens ?? undefined, stopsOf(body));
  const id = randomId(16);
  const created = Math.floor(Date.now() / 1000);
  res.statusCode = 200;
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache');
  res.flushHeaders();

  const chunk = (delta: unknown, finishReason: string | null, usage?: unknown) => ({
    id, object: 'chat.completion.chunk', created, model: body.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...(usage ? { usage } : {}),
  });
  const send = async (data: unknown) => {
    writeSse(res, JSON.stringify(data));
    if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
  };

  await send(chunk({ role: 'assistant', content: '' }, null));
  if (reply.usage === 'reasoning') {
    for (const piece of chunksOf(REASONING_TEXT)) {
      await send(chunk({ content: [{ type: 'thinking', thinking: [{ type: 'text', text: piece }] }] }, null));
    }
  }
  const pieces = chunksOf(limited.text);
  for (const [i, piece] of pieces.entries()) {
    if (script?.kind === 'cut' && i === script.afterChunks) {
      await writeFlushed(res, '');
      return killConnection(res);
    }
    const last = i === pieces.length - 1;
    const usage = last && !reply.omitUsage ? usageFor(body, reply, limited.text) : undefined;
    await send(chunk({ content: piece }, last ? finishReasonFor(limited.stoppedBy) : null, usage));
  }
  writeSse(res, '[DONE]');
  res.end();
}

function bearerOf(req: RecordedRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
}
