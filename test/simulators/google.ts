import type { ServerResponse } from 'node:http';
import { sleep, startSimulator, type RecordedRequest, type SimScript, type Simulator } from './base.ts';
import {
  CACHED_READ_TOKENS, REASONING_TEXT, REASONING_TOKENS, base62Id, chunksOf, defaultText, hangUntilClosed,
  killConnection, limitReply, tokensFor, writeFlushed, type ReplyScript,
} from './replies.ts';

/**
 * The Gemini Developer API on the wire: `POST /{version}/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse` (bare `data:` frames separated by CRLF CRLF, no end sentinel,
 * usage as running totals on every chunk), `GET /{version}/models`, the `x-goog-api-key` header,
 * and Google RPC error bodies (`{"error":{"code","message","status","details"}}`) including the
 * 400 API_KEY_INVALID answer to a bad key and RetryInfo on 429. Requests are checked like the API
 * does: roles only `user`/`model`, no unknown fields, temperature 0..2, text parts present.
 */
export type GoogleScript =
  | SimScript
  /** Stream some text, then an error object as an SSE chunk (the API does this when it overloads mid-stream). */
  | { kind: 'streamError'; afterChunks: number; status?: number; message?: string };

const RPC_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};
const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Request contains an invalid argument.',
  401: 'Request had invalid authentication credentials.',
  403: 'The caller does not have permission',
  404: 'Requested entity was not found.',
  429: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  503: 'The model is overloaded. Please try again later.',
  504: 'The request timed out. Please try again.',
};

const REQUEST_FIELDS = new Set([
  'contents', 'systemInstruction', 'generationConfig', 'safetySettings', 'tools', 'toolConfig', 'cachedContent', 'labels',
]);
const GENERATION_FIELDS = new Set([
  'temperature', 'topP', 'topK', 'candidateCount', 'maxOutputTokens', 'stopSequences', 'presencePenalty',
  'frequencyPenalty', 'seed', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseLogprobs',
  'logprobs', 'thinkingConfig', 'responseModalities', 'mediaResolution', 'speechConfig',
]);

const MODEL_ROUTE = /^\/(v1|v1beta)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

export async function startGoogleSimulator(): Promise<Simulator<GoogleScript>> {
  shareFetchDispatcherWithTestContext();
  return startSimulator<GoogleScript>(async (req, res, script) => {
    if (script?.kind === 'drop') return killConnection(res);
    if (script?.kind === 'hang') return hangUntilClosed(res);

    const key = req.headers['x-goog-api-key'] ?? req.query.get('key') ?? undefined;
    if (typeof key !== 'string' || key === '') {
      return sendError(res, 403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'CONSUMER_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      ]);
    }
    if (key.includes('wrong')) {
      return sendError(res, 400, 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
        { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
      ]);
    }

    if (req.method === 'GET' && /^\/(v1|v1beta)\/models$/.test(req.path)) return listModels(req, res);
    const route = MODEL_ROUTE.exec(req.path);
    if (req.method !== 'POST' || !route) return sendError(res, 404, `Method not found: ${req.method} ${req.path}`);
    const [, version = '', model = '', method = ''] = route;

    if (script?.kind === 'error') return scriptedError(res, script);

    const invalid = validate(req.body);
    if (invalid) return sendError(res, 400, invalid);
    if (!model.startsWith('gemini')) {
      return sendError(res, 404, `models/${model} is not found for API version ${version}, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`);
    }

    const reply: ReplyScript = script?.kind === 'reply' ? script : { kind: 'reply' };
    const body = req.body as GenerateBody;
    if (method === 'streamGenerateContent') {
      if (req.query.get('alt') !== 'sse') return sendError(res, 400, 'The simulator streams only with alt=sse, which the SDK always asks for.');
      return streamReply(res, model, body, reply, script);
    }
    return jsonReply(res, model, body, reply);
  });
}

/**
 * Jest runs each test file in its own V8 context, whose globalThis lacks the undici dispatcher that
 * Node's fetch registered on the main context. The Gemini SDK looks it up there (to switch off
 * undici's own timeouts) and fails every request without it; plain Node, as in production, has it.
 * Any test talking to this simulator through the SDK, directly or through the gateway, needs it.
 */
function shareFetchDispatcherWithTestContext(): void {
  const dispatcher = Symbol.for('undici.globalDispatcher.1');
  const mainContext = (fetch.constructor as FunctionConstructor)('return globalThis')() as Record<symbol, unknown>;
  new Headers();
  (globalThis as unknown as Record<symbol, unknown>)[dispatcher] ??= mainContext[dispatcher];
}

interface Part { text?: string; thought?: boolean }
interface GenerateBody {
  contents: { role?: string; parts: Part[] }[];
  systemInstruction?: { parts: Part[] };
  generationConfig?: { temperature?: number; topP?: number; maxOutputTokens?: number; stopSequences?: string[] };
}

function validate(body: any): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'Invalid JSON payload received. Expected an object.';
  for (const k of Object.keys(body)) {
    if (!REQUEST_FIELDS.has(k)) return `Invalid JSON payload received. Unknown name "${k}": Cannot find field.`;
  }
  if (!Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified\n';
  for (const [i, c] of body.contents.entries()) {
    if (c?.role !== undefined && c.role !== 'user' && c.role !== 'model') return 'Please use a valid role: user, model.';
    if (!Array.isArray(c?.parts) || c.parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`;
  }
  if (body.systemInstruction !== undefined && !Array.isArray(body.systemInstruction?.parts)) {
    return 'Invalid JSON payload received. Unknown name "systemInstruction": Proto field is not repeating, cannot start list.';
  }
  const config = body.generationConfig;
  if (config !== undefined) {
    for (const k of Object.keys(config)) {
      if (!GENERATION_FIELDS.has(k)) return `Invalid JSON payload received. Unknown name "${k}" at 'generation_config': Cannot find field.`;
    }
    if (config.temperature !== undefined && (config.temperature < 0 || config.temperature > 2)) {
      return `* GenerateContentRequest.generation_config.temperature: temperature must be in the range [0.0, 2.0]\n`;
    }
    if (config.stopSequences !== undefined && (!Array.isArray(config.stopSequences) || config.stopSequences.length > 5)) {
      return '* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences are allowed\n';
    }
  }
  return undefined;
}

function sendError(res: ServerResponse, status: number, message: string, details?: unknown[]): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=UTF-8');
  res.setHeader('vary', 'Origin, X-Origin, Referer');
  res.end(JSON.stringify({
    error: { code: status, message, status: RPC_STATUS[status] ?? 'UNKNOWN', ...(details ? { details } : {}) },
  }, null, 2));
}

function scriptedError(res: ServerResponse, script: Extract<GoogleScript, { kind: 'error' }>): void {
  if (script.retryAfter !== undefined) res.setHeader('retry-after', script.retryAfter);
  const details: unknown[] = [];
  if (script.status === 429) {
    details.push(
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' }, quotaValue: '10' }] },
      { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
    );
  }
  if (script.retryDelaySeconds !== undefined) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${script.retryDelaySeconds}s` });
  }
  sendError(res, script.status, script.message ?? DEFAULT_MESSAGES[script.status] ?? 'Error', details.length ? details : undefined);
}

function listModels(req: RecordedRequest, res: ServerResponse): void {
  const all = ['gemini-2.5-flash', 'gemini-2.5-pro'].map((id) => ({
    name: `models/${id}`, version: '001', displayName: id, description: `Simulated ${id}`,
    inputTokenLimit: 1_048_576, outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
    temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: true,
  }));
  const pageSize = Math.min(1000, Math.max(1, Number(req.query.get('pageSize') ?? 50) || 50));
  const models = all.slice(0, pageSize);
  res.setHeader('content-type', 'application/json; charset=UTF-8');
  res.end(JSON.stringify({ models, ...(models.length < all.length ? { nextPageToken: base62Id(16) } : {}) }));
}

function promptText(body: GenerateBody): string {
  const text = (parts: Part[] | undefined) => (parts ?? []).map((p) => p.text ?? '').join('');
  return text(body.systemInstruction?.parts) + body.contents.map((c) => text(c.parts)).join('');
}

function usageMetadata(body: GenerateBody, reply: ReplyScript, outputSoFar: string | undefined) {
  const cached = reply.usage === 'cached' ? CACHED_READ_TOKENS : 0;
  const prompt = tokensFor(promptText(body)) + cached;
  const thoughts = reply.usage === 'reasoning' ? REASONING_TOKENS : 0;
  const candidates = outputSoFar === undefined ? undefined : tokensFor(outputSoFar);
  return {
    promptTokenCount: prompt,
    ...(candidates !== undefined ? { candidatesTokenCount: candidates } : {}),
    totalTokenCount: prompt + (candidates ?? 0) + thoughts,
    ...(cached ? { cachedContentTokenCount: cached } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    ...(cached ? { cacheTokensDetails: [{ modality: 'TEXT', tokenCount: cached }] } : {}),
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
  };
}

function finishReasonFor(stoppedBy: 'end' | 'stop' | 'length'): string {
  // Gemini reports a matched stop sequence as a normal STOP.
  return stoppedBy === 'length' ? 'MAX_TOKENS' : 'STOP';
}

function jsonReply(res: ServerResponse, model: string, body: GenerateBody, reply: ReplyScript): void {
  const config = body.generationConfig ?? {};
  const limited = limitReply(reply.text ?? defaultText('google'), config.maxOutputTokens, config.stopSequences);
  const parts: Part[] = [];
  if (reply.usage === 'reasoning') parts.push({ text: REASONING_TEXT, thought: true });
  parts.push({ text: limited.text });
  res.setHeader('content-type', 'application/json; charset=UTF-8');
  res.end(JSON.stringify({
    candidates: [{ content: { parts, role: 'model' }, finishReason: finishReasonFor(limited.stoppedBy), index: 0 }],
    ...(reply.omitUsage ? {} : { usageMetadata: usageMetadata(body, reply, limited.text) }),
    modelVersion: model,
    responseId: base62Id(22),
  }, null, 2));
}

async function streamReply(res: ServerResponse, model: string, body: GenerateBody, reply: ReplyScript, script: GoogleScript | undefined): Promise<void> {
  const config = body.generationConfig ?? {};
  const limited = limitReply(reply.text ?? defaultText('google'), config.maxOutputTokens, config.stopSequences);
  const responseId = base62Id(22);
  res.statusCode = 200;
  res.setHeader('content-type', 'text/event-stream');
  res.setHeader('content-disposition', 'attachment');
  res.flushHeaders();

  const frame = async (chunk: unknown) => {
    await writeFlushed(res, `data: ${JSON.stringify(chunk)}\r\n\r\n`);
    if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
  };
  const candidateChunk = (parts: Part[], soFar: string, finishReason?: string) => ({
    candidates: [{ content: { parts, role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 }],
    ...(reply.omitUsage ? {} : { usageMetadata: usageMetadata(body, reply, soFar === '' && !finishReason ? undefined : soFar) }),
    modelVersion: model,
    responseId,
  });

  if (reply.usage === 'reasoning') {
    for (const piece of chunksOf(REASONING_TEXT)) await frame(candidateChunk([{ text: piece, thought: true }], ''));
  }
  const pieces = chunksOf(limited.text);
  const stopAfter = script?.kind === 'cut' || script?.kind === 'streamError' ? script.afterChunks : undefined;
  let soFar = '';
  for (const [i, piece] of pieces.entries()) {
    if (stopAfter !== undefined && i === stopAfter) break;
    soFar += piece;
    const last = i === pieces.length - 1 && stopAfter === undefined;
    await frame(candidateChunk([{ text: piece }], soFar, last ? finishReasonFor(limited.stoppedBy) : undefined));
  }
  if (script?.kind === 'cut') return killConnection(res);
  if (script?.kind === 'streamError') {
    const status = script.status ?? 503;
    await frame({ error: { code: status, message: script.message ?? DEFAULT_MESSAGES[status] ?? 'Error', status: RPC_STATUS[status] ?? 'UNKNOWN' } });
  }
  res.end();
}
