import type { ServerResponse } from 'node:http';
import { sleep, startSimulator, type RecordedRequest, type SimScript, type Simulator } from './base.ts';
import {
  CACHED_READ_TOKENS, REASONING_TEXT, REASONING_TOKENS, chunksOf, defaultText, hangUntilClosed, killConnection, limitReply,
  tokensFor, writeFlushed,
} from './replies.ts';

/**
 * The wire protocol OpenAI, DeepSeek and Groq share (Chat Completions over JSON and SSE), with
 * each provider's differences — paths, headers, error bodies, usage fields, extra chunk fields,
 * request validation — supplied by a flavor. The providers' simulators are thin flavors of this.
 */
export interface ErrorReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface UsageCounts {
  prompt: number;
  cached: number;
  completion: number;
  reasoning: number;
}

export interface ReplyContext {
  body: Record<string, any>;
  model: string;
  /** The chat completion id shared by the completion or every chunk of the stream. */
  id: string;
  /** The provider's request id (also sent as a header). */
  requestId: string;
  created: number;
}

export interface OpenAIShapedFlavor {
  name: string;
  chatPaths: string[];
  modelsPaths: string[];
  requestIdHeader: string;
  newRequestId(n: number): string;
  newCompletionId(n: number): string;
  jsonContentType: string;
  sseContentType: string;
  /** The provider's error body for a status (scripted errors and validation failures). */
  errorBody(status: number, message: string | undefined, model: string, apiKey: string): unknown;
  /** Headers a provider adds to an error of this status (rate-limit counters and the like). */
  errorHeaders?(status: number): Record<string, string>;
  /** The answer to a missing or rejected key. */
  authFailure(apiKey: string | undefined): ErrorReply;
  /** Rejects a request the way the real API does; undefined when acceptable. */
  validate(body: Record<string, any>): ErrorReply | undefined;
  modelList(): unknown;
  usageBody(counts: UsageCounts, model: string): Record<string, unknown>;
  /**
   * Whether this model and usage script produce reasoning tokens, and the message/delta field that
   * carries reasoning text when the provider returns it.
   */
  reasoning(model: string, usage: 'plain' | 'cached' | 'reasoning'): { tokens: boolean; field?: string };
  /** Extra top-level fields of a completion (e.g. Groq's x_groq). */
  completionExtras(ctx: ReplyContext, usage: Record<string, unknown> | undefined): Record<string, unknown>;
  /** Extra top-level fields of a stream chunk at a position. */
  chunkExtras(ctx: ReplyContext, position: 'first' | 'middle' | 'finish' | 'usage', usage: Record<string, unknown> | undefined): Record<string, unknown>;
  /** Whether the finish chunk itself carries `usage` when include_usage was not requested. */
  usageOnFinishChunk: boolean;
  /** Whether usage also comes as a final chunk with empty choices when include_usage is set. */
  usageChunkOnRequest: boolean;
  /** DeepSeek sends SSE comments / blank lines while the model works. */
  keepAlive: boolean;
  commonHeaders(): Record<string, string>;
}

/** The simulators' prompt count: a quarter of all message characters, rounded up, at least one. */
export function promptTokensOf(body: { messages?: Array<{ content?: unknown }> }): number {
  return tokensFor((body.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : '')).join(''));
}

export function bearerKey(req: RecordedRequest): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer (.+)$/.exec(h) : null;
  return m?.[1];
}

export async function startOpenAIShapedSimulator(flavor: OpenAIShapedFlavor): Promise<Simulator<SimScript>> {
  let seq = 0;
  return startSimulator<SimScript>(async (req, res, script) => {
    seq++;
    const requestId = flavor.newRequestId(seq);
    const headers = { ...flavor.commonHeaders(), [flavor.requestIdHeader]: requestId };
    const isChat = req.method === 'POST' && flavor.chatPaths.includes(req.path);
    const isModels = req.method === 'GET' && flavor.modelsPaths.includes(req.path);
    const body: Record<string, any> = req.body && typeof req.body === 'object' ? req.body : {};
    const model = typeof body.model === 'string' ? body.model : '';

    if (!isChat && !isModels) {
      return sendJson(res, 404, flavor.errorBody(404, `Invalid URL (${req.method} ${req.path})`, model, ''), headers, flavor);
    }
    const key = bearerKey(req);
    if (key === undefined || key.includes('wrong')) {
      const failure = flavor.authFailure(key);
      return sendJson(res, failure.status, failure.body, { ...headers, ...failure.headers }, flavor);
    }

    if (script?.kind === 'error') {
      const extra: Record<string, string> = script.retryAfter !== undefined ? { 'retry-after': script.retryAfter } : {};
      const failure = { ...headers, ...flavor.errorHeaders?.(script.status), ...extra };
      return sendJson(res, script.status, flavor.errorBody(script.status, script.message, model, key), failure, flavor);
    }
    if (script?.kind === 'hang') return hangUntilClosed(res);
    if (script?.kind === 'drop') return killConnection(res);

    if (isModels) return sendJson(res, 200, flavor.modelList(), headers, flavor);

    const invalid = flavor.validate(body);
    if (invalid) return sendJson(res, invalid.status, invalid.body, { ...headers, ...invalid.headers }, flavor);

    const reply = script?.kind === 'reply' ? script : undefined;
    const usageKind = reply?.usage ?? 'plain';
    const reasoning = flavor.reasoning(model, usageKind);
    const limited = limitReply(reply?.text ?? defaultText(flavor.name), body.max_completion_tokens ?? body.max_tokens, stopsOf(body.stop));
    const cached = usageKind === 'cached' ? CACHED_READ_TOKENS : 0;
    const reasoningTokens = reasoning.tokens ? REASONING_TOKENS : 0;
    const counts: UsageCounts = {
      prompt: promptTokensOf(body) + cached,
      cached,
      completion: tokensFor(limited.text) + reasoningTokens,
      reasoning: reasoningTokens,
    };
    const usage = reply?.omitUsage ? undefined : flavor.usageBody(counts, model);
    const finishReason = limited.stoppedBy === 'length' ? 'length' : 'stop';
    const ctx: ReplyContext = { body, model, id: flavor.newCompletionId(seq), requestId, created: 1_767_225_600 + seq };

    if (body.stream === true) {
      const cutAfter = script?.kind === 'cut' ? script.afterChunks : undefined;
      const plan = { text: limited.text, reasoningField: reasoning.field, finishReason, usage, delayMs: reply?.chunkDelayMs ?? 0, cutAfter };
      return stream(res, flavor, ctx, plan, headers);
    }
    if (reply?.chunkDelayMs) await sleep(reply.chunkDelayMs);
    const message: Record<string, unknown> = { role: 'assistant', content: limited.text };
    if (reasoning.field) message[reasoning.field] = REASONING_TEXT;
    if (flavor.name === 'openai') Object.assign(message, { refusal: null, annotations: [] });
    return sendJson(res, 200, {
      id: ctx.id,
      object: 'chat.completion',
      created: ctx.created,
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
      ...(usage ? { usage } : {}),
      ...flavor.completionExtras(ctx, usage),
    }, headers, flavor);
  });
}

function stopsOf(stop: unknown): string[] | undefined {
  if (typeof stop === 'string') return [stop];
  return Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : undefined;
}

interface StreamPlan {
  text: string;
  reasoningField: string | undefined;
  finishReason: string;
  usage: Record<string, unknown> | undefined;
  delayMs: number;
  cutAfter: number | undefined;
}

async function stream(res: ServerResponse, flavor: OpenAIShapedFlavor, ctx: ReplyContext, plan: StreamPlan, headers: Record<string, string>) {
  const includeUsage = ctx.body.stream_options?.include_usage === true;
  res.writeHead(200, { ...headers, 'content-type': flavor.sseContentType, 'cache-control': 'no-cache', connection: 'keep-alive' });
  if (flavor.keepAlive) await writeFlushed(res, ': keep-alive\n\n');
  const nullUsage = includeUsage && flavor.usageChunkOnRequest ? { usage: null } : {};
  const frame = (choices: unknown[], position: 'first' | 'middle' | 'finish' | 'usage', extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({
      id: ctx.id,
      object: 'chat.completion.chunk',
      created: ctx.created,
      model: ctx.model,
      ...(flavor.name === 'openai' ? { service_tier: 'default' } : {}),
      system_fingerprint: 'fp_sim0001',
      choices,
      ...nullUsage,
      ...extra,
      ...flavor.chunkExtras(ctx, position, position === 'finish' || position === 'usage' ? plan.usage : undefined),
    })}\n\n`;
  const choice = (delta: Record<string, unknown>, finish: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason: finish });
  const send = async (data: string) => {
    if (res.destroyed) return false;
    await writeFlushed(res, data);
    return true;
  };

  const firstDelta: Record<string, unknown> = { role: 'assistant', content: '' };
  if (flavor.name === 'openai') firstDelta.refusal = null;
  await send(frame([choice(firstDelta)], 'first'));

  const field = plan.reasoningField;
  if (field) {
    for (const piece of chunksOf(REASONING_TEXT)) {
      if (plan.delayMs) await sleep(plan.delayMs);
      if (!(await send(frame([choice({ content: null, [field]: piece })], 'middle')))) return;
    }
  }
  let sent = 0;
  for (const piece of chunksOf(plan.text)) {
    if (plan.cutAfter !== undefined && sent >= plan.cutAfter) return killConnection(res);
    if (plan.delayMs) await sleep(plan.delayMs);
    if (!(await send(frame([choice(field ? { content: piece, [field]: null } : { content: piece })], 'middle')))) return;
    sent++;
  }
  if (plan.cutAfter !== undefined) return killConnection(res);
  const usageOnFinish = plan.usage && flavor.usageOnFinishChunk && !includeUsage ? { usage: plan.usage } : {};
  await send(frame([choice({}, plan.finishReason)], 'finish', usageOnFinish));
  if (plan.usage && includeUsage && flavor.usageChunkOnRequest) await send(frame([], 'usage', { usage: plan.usage }));
  await send('data: [DONE]\n\n');
  res.end();
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, flavor: OpenAIShapedFlavor): void {
  // DeepSeek writes blank lines while a non-streaming answer is computed; clients must tolerate them.
  const lead = flavor.keepAlive && status === 200 ? '\n' : '';
  res.writeHead(status, { ...headers, 'content-type': flavor.jsonContentType });
  res.end(lead + JSON.stringify(body));
}
