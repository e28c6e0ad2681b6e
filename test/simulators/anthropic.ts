import type { ServerResponse } from 'node:http';
import { sleep, startSimulator, writeSse, type RecordedRequest, type SimScript, type Simulator } from './base.ts';
import {
  CACHED_READ_TOKENS, CACHED_WRITE_TOKENS, REASONING_TEXT, REASONING_TOKENS, base62Id, chunksOf, defaultText,
  hangUntilClosed, killConnection, limitReply, tokensFor, writeFlushed, type ReplyScript,
} from './replies.ts';

/**
 * The Anthropic Messages API on the wire: `POST /v1/messages` (JSON or SSE with named events),
 * `GET /v1/models`, key (`x-api-key` or bearer) + `anthropic-version` headers, `request-id` and
 * `anthropic-ratelimit-*` headers, and `{"type":"error","error":{...}}` bodies. It validates requests
 * the way the API does (required max_tokens, no system role in messages, alternating roles,
 * temperature 0..1, no unknown fields) so a wrong mapping fails instead of passing.
 */
export type AnthropicScript =
  | SimScript
  /** Stream some text, then an `event: error` frame as the API sends when it overloads mid-stream. */
  | { kind: 'streamError'; afterChunks: number; errorType?: string; message?: string };

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 402: 'billing_error', 403: 'permission_error',
  404: 'not_found_error', 413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error',
  503: 'api_error', 504: 'timeout_error', 529: 'overloaded_error',
};
const DEFAULT_MESSAGES: Record<string, string> = {
  invalid_request_error: 'Invalid request.',
  authentication_error: 'invalid x-api-key',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'The requested resource could not be found.',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.',
  api_error: 'Internal server error',
  timeout_error: 'Request timeout',
  overloaded_error: 'Overloaded',
};

const ALLOWED_FIELDS = new Set([
  'model', 'messages', 'max_tokens', 'system', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'stream',
  'metadata', 'tools', 'tool_choice', 'thinking', 'service_tier', 'container', 'mcp_servers',
]);

export async function startAnthropicSimulator(): Promise<Simulator<AnthropicScript>> {
  return startSimulator<AnthropicScript>(async (req, res, script) => {
    const requestId = `req_${base62Id(24)}`;
    res.setHeader('request-id', requestId);
    res.setHeader('anthropic-organization-id', '4a1c2b3d-0000-4000-8000-5e6f7a8b9c0d');

    if (script?.kind === 'drop') return killConnection(res);
    if (script?.kind === 'hang') return hangUntilClosed(res);

    const credential = credentialOf(req);
    if (!credential) return sendError(res, 401, 'authentication_error', 'x-api-key header is required', requestId);
    if (credential.value.includes('wrong')) {
      const message = credential.header === 'x-api-key' ? 'invalid x-api-key' : 'Invalid bearer token';
      return sendError(res, 401, 'authentication_error', message, requestId);
    }
    if (!req.headers['anthropic-version']) {
      return sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required', requestId);
    }

    if (req.method === 'GET' && req.path === '/v1/models') return listModels(req, res);
    if (req.method !== 'POST' || req.path !== '/v1/messages') {
      return sendError(res, 404, 'not_found_error', 'Not Found', requestId);
    }

    if (script?.kind === 'error') {
      const type = ERROR_TYPES[script.status] ?? 'api_error';
      if (script.retryAfter !== undefined) res.setHeader('retry-after', script.retryAfter);
      return sendError(res, script.status, type, script.message ?? DEFAULT_MESSAGES[type] ?? 'Error', requestId);
    }

    const invalid = validate(req.body);
    if (invalid) return sendError(res, invalid.status, invalid.type, invalid.message, requestId);

    const body = req.body as MessagesBody;
    if (!body.model.startsWith('claude-')) return sendError(res, 404, 'not_found_error', `model: ${body.model}`, requestId);

    setRateLimitHeaders(res);
    const reply: ReplyScript = script?.kind === 'reply' ? script : { kind: 'reply' };
    if (body.stream === true) return streamReply(res, body, reply, script);
    return jsonReply(res, body, reply);
  });
}

/**
 * The API takes a key as `x-api-key` (the long-documented way) or as `Authorization: Bearer`, which
 * is what the 1.x SDK sends.
 */
function credentialOf(req: RecordedRequest): { header: 'x-api-key' | 'authorization'; value: string } | undefined {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key !== '') return { header: 'x-api-key', value: key };
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return bearer?.[1] ? { header: 'authorization', value: bearer[1] } : undefined;
}

interface MessagesBody {
  model: string;
  messages: { role: string; content: unknown }[];
  max_tokens: number;
  system?: unknown;
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  stream?: boolean;
}

function validate(body: any): { status: number; type: string; message: string } | undefined {
  const bad = (message: string) => ({ status: 400, type: 'invalid_request_error', message });
  if (!body || typeof body !== 'object' || Array.isArray(body)) return bad('Request body must be a JSON object');
  for (const k of Object.keys(body)) if (!ALLOWED_FIELDS.has(k)) return bad(`${k}: Extra inputs are not permitted`);
  if (typeof body.model !== 'string') return bad('model: Field required');
  if (body.max_tokens === undefined) return bad('max_tokens: Field required');
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return bad('max_tokens: Input should be greater than or equal to 1');
  if (!Array.isArray(body.messages)) return bad('messages: Field required');
  if (body.messages.length === 0) return bad('messages: at least one message is required');
  let previous: string | undefined;
  for (const [i, m] of body.messages.entries()) {
    if (m?.role !== 'user' && m?.role !== 'assistant') return bad(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (i === 0 && m.role !== 'user') return bad('messages: first message must use the "user" role');
    if (m.role === previous) {
      return bad(`messages: roles must alternate between "user" and "assistant", but found multiple "${m.role}" roles in a row`);
    }
    if (typeof m.content === 'string' && m.content.length === 0) return bad(`messages.${i}: text content blocks must be non-empty`);
    previous = m.role;
  }
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) {
    return bad('system: Input should be a valid string');
  }
  if (body.temperature !== undefined && (typeof body.temperature !== 'number' || body.temperature < 0 || body.temperature > 1)) {
    return bad('temperature: range: 0..1');
  }
  if (body.top_p !== undefined && (typeof body.top_p !== 'number' || body.top_p < 0 || body.top_p > 1)) {
    return bad('top_p: range: 0..1');
  }
  if (body.stop_sequences !== undefined &&
      (!Array.isArray(body.stop_sequences) || body.stop_sequences.some((s: unknown) => typeof s !== 'string'))) {
    return bad('stop_sequences: Input should be a valid list');
  }
  return undefined;
}

function sendError(res: ServerResponse, status: number, type: string, message: string, requestId: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('x-should-retry', String(status === 429 || status >= 500));
  if (status === 429 && !res.hasHeader('retry-after')) res.setHeader('retry-after', '1');
  res.end(JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }));
}

function setRateLimitHeaders(res: ServerResponse): void {
  const reset = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const [kind, limit] of [['requests', 4000], ['tokens', 2_000_000], ['input-tokens', 1_600_000], ['output-tokens', 400_000]] as const) {
    res.setHeader(`anthropic-ratelimit-${kind}-limit`, String(limit));
    res.setHeader(`anthropic-ratelimit-${kind}-remaining`, String(limit - 1));
    res.setHeader(`anthropic-ratelimit-${kind}-reset`, reset);
  }
}

function listModels(req: RecordedRequest, res: ServerResponse): void {
  const all = [
    { type: 'model', id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
    { type: 'model', id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5', created_at: '2025-10-15T00:00:00Z' },
  ];
  const limit = Math.min(1000, Math.max(1, Number(req.query.get('limit') ?? 20) || 20));
  const data = all.slice(0, limit);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ data, has_more: data.length < all.length, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }));
}

function inputText(body: MessagesBody): string {
  const system = typeof body.system === 'string' ? body.system
    : Array.isArray(body.system) ? body.system.map((b: any) => b?.text ?? '').join('') : '';
  const turns = body.messages.map((m) => (typeof m.content === 'string' ? m.content
    : Array.isArray(m.content) ? m.content.map((b: any) => b?.text ?? '').join('') : ''));
  return system + turns.join('');
}

function usageFor(body: MessagesBody, reply: ReplyScript, outputText: string) {
  const reasoning = reply.usage === 'reasoning' ? REASONING_TOKENS : 0;
  const cached = reply.usage === 'cached';
  return {
    input_tokens: tokensFor(inputText(body)),
    cache_creation_input_tokens: cached ? CACHED_WRITE_TOKENS : 0,
    cache_read_input_tokens: cached ? CACHED_READ_TOKENS : 0,
    cache_creation: { ephemeral_5m_input_tokens: cached ? CACHED_WRITE_TOKENS : 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: tokensFor(outputText) + reasoning,
    ...(reasoning ? { output_tokens_details: { thinking_tokens: reasoning } } : {}),
    service_tier: 'standard',
  };
}

function stopReasonFor(stoppedBy: 'end' | 'stop' | 'length'): string {
  return stoppedBy === 'stop' ? 'stop_sequence' : stoppedBy === 'length' ? 'max_tokens' : 'end_turn';
}

function jsonReply(res: ServerResponse, body: MessagesBody, reply: ReplyScript): void {
  const limited = limitReply(reply.text ?? defaultText('anthropic'), body.max_tokens, body.stop_sequences);
  const content: unknown[] = [];
  if (reply.usage === 'reasoning') content.push({ type: 'thinking', thinking: REASONING_TEXT, signature: `sig_${base62Id(32)}` });
  content.push({ type: 'text', text: limited.text });
  const message = {
    id: `msg_${base62Id(24)}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: stopReasonFor(limited.stoppedBy),
    stop_sequence: limited.stopSequence ?? null,
    ...(reply.omitUsage ? {} : { usage: usageFor(body, reply, limited.text) }),
  };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(message));
}

async function streamReply(res: ServerResponse, body: MessagesBody, reply: ReplyScript, script: AnthropicScript | undefined): Promise<void> {
  const limited = limitReply(reply.text ?? defaultText('anthropic'), body.max_tokens, body.stop_sequences);
  const usage = usageFor(body, reply, limited.text);
  const cutAfter = script?.kind === 'cut' ? script.afterChunks : script?.kind === 'streamError' ? script.afterChunks : undefined;
  res.statusCode = 200;
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache');
  res.flushHeaders();

  const send = async (event: string, data: unknown) => {
    writeSse(res, JSON.stringify(data), event);
    if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
  };
  const startUsage = { ...usage, output_tokens: 1 };
  delete (startUsage as { output_tokens_details?: unknown }).output_tokens_details;
  await send('message_start', {
    type: 'message_start',
    message: {
      id: `msg_${base62Id(24)}`, type: 'message', role: 'assistant', model: body.model, content: [],
      stop_reason: null, stop_sequence: null, ...(reply.omitUsage ? {} : { usage: startUsage }),
    },
  });

  let index = 0;
  if (reply.usage === 'reasoning') {
    await send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    for (const piece of chunksOf(REASONING_TEXT)) {
      await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } });
    }
    await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: `sig_${base62Id(32)}` } });
    await send('content_block_stop', { type: 'content_block_stop', index });
    index++;
  }
  await send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
  await send('ping', { type: 'ping' });
  let sent = 0;
  for (const piece of chunksOf(limited.text)) {
    if (cutAfter !== undefined && sent === cutAfter) break;
    await send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    sent++;
  }
  if (script?.kind === 'cut') {
    await writeFlushed(res, '');
    return killConnection(res);
  }
  if (script?.kind === 'streamError') {
    const type = script.errorType ?? 'overloaded_error';
    writeSse(res, JSON.stringify({ type: 'error', error: { type, message: script.message ?? DEFAULT_MESSAGES[type] ?? 'Error' } }), 'error');
    res.end();
    return;
  }
  await send('content_block_stop', { type: 'content_block_stop', index });
  const { cache_creation: _c, service_tier: _s, ...finalUsage } = usage;
  await send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: stopReasonFor(limited.stoppedBy), stop_sequence: limited.stopSequence ?? null },
    ...(reply.omitUsage ? {} : { usage: finalUsage }),
  });
  await send('message_stop', { type: 'message_stop' });
  res.end();
}
