import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../application/context.ts';
import { prepareCompletion, type ChatInput, type CompletionSource } from '../../application/completions/prepare.ts';
import { runCompletion, streamCompletion, type CompletionOutcome } from '../../application/completions/execute.ts';
import { completionTokens, promptTokens, totalTokens } from '../../domain/usage.ts';
import { ProviderError } from '../../providers/types.ts';
import { authMiddleware, callerOf, metadataOf } from '../auth.ts';
import { parseInput } from '../errors.ts';
import { providerHttpError } from '../providerErrors.ts';
import { openSse } from '../sse.ts';
import type { RequestState } from '../app.ts';

const MAX_MESSAGES = 1000;
const MAX_CONTENT_CHARS = 1_000_000;

export const chatBody = z.object({
  model: z.string().trim().min(1, 'is required').max(200),
  messages: z.array(z.object({
    role: z.enum(['system', 'user', 'assistant']),
    content: z.string().max(MAX_CONTENT_CHARS, `must be at most ${MAX_CONTENT_CHARS} characters`),
  }).strict()).min(1, 'must hold at least one message').max(MAX_MESSAGES, `must hold at most ${MAX_MESSAGES} messages`),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  stop: z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).min(1).max(4)]).optional(),
}).strict();

export function toChatInput(body: z.infer<typeof chatBody>): ChatInput {
  return { ...body, stop: typeof body.stop === 'string' ? [body.stop] : body.stop };
}

/** The spec's usage block, with the split the gateway knows on top. */
export function usageView(o: CompletionOutcome) {
  return {
    prompt_tokens: promptTokens(o.usage),
    completion_tokens: completionTokens(o.usage),
    total_tokens: totalTokens(o.usage),
    cache_read_tokens: o.usage.cacheReadTokens,
    cache_write_tokens: o.usage.cacheWriteTokens,
    reasoning_tokens: o.usage.reasoningTokens,
    estimated: o.usage.estimated,
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Aborts when the client closes the connection before the response is complete. */
function clientGone(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => { if (!ctx.res.writableFinished) controller.abort(new Error('client disconnected')); });
  return controller.signal;
}

function sourceOf(ctx: Context): CompletionSource {
  const caller = callerOf(ctx);
  return caller.kind === 'api_key' ? { kind: 'public', apiKeyId: caller.credentialId! } : { kind: 'dashboard', apiKeyId: null };
}

async function chat(app: AppContext, ctx: Context) {
  const state = ctx.state as RequestState;
  const caller = callerOf(ctx);
  const input = toChatInput(parseInput(chatBody, ctx.request.body));
  const prepared = await prepareCompletion(app, caller.projectId!, input, sourceOf(ctx));
  let outcome: CompletionOutcome;
  state.upstream = { upstreamMs: 0 };
  try {
    outcome = await runCompletion(app, prepared, metadataOf(ctx), clientGone(ctx), state.upstream);
  } catch (err) {
    if (err instanceof ProviderError) throw providerHttpError(err, prepared.projectId);
    throw err;
  }
  ctx.body = {
    id: outcome.completionId,
    content: outcome.content,
    ...(outcome.reasoning ? { reasoning: outcome.reasoning } : {}),
    model: prepared.resolved.requestedId,
    provider: prepared.provider,
    usage: usageView(outcome),
    latency_ms: Math.round(outcome.upstreamMs),
    finish_reason: outcome.finishReason,
    cost_usd: outcome.costUsd,
  };
}

/** Before the first delta a failure is a plain HTTP error; after it, an SSE `error` frame. */
const OPEN_STREAM_AFTER_MS = 1_000;

async function chatStream(app: AppContext, ctx: Context) {
  const state = ctx.state as RequestState;
  const caller = callerOf(ctx);
  const input = toChatInput(parseInput(chatBody, ctx.request.body));
  const prepared = await prepareCompletion(app, caller.projectId!, input, sourceOf(ctx));
  const upstreamStartsAt = performance.now();
  const signal = clientGone(ctx);
  let sse: ReturnType<typeof openSse> | undefined;
  let overheadMs = 0;
  const open = (upstreamMs: number) => {
    if (sse || signal.aborted) return;
    overheadMs = round(Math.max(0, performance.now() - state.startedAtMs - upstreamMs));
    sse = openSse(ctx, 15_000, { 'x-gateway-overhead-ms': overheadMs.toString() });
  };
  const early = setTimeout(() => open(performance.now() - upstreamStartsAt), OPEN_STREAM_AFTER_MS);
  state.upstream = { upstreamMs: 0 };
  try {
    const outcome = await streamCompletion(app, prepared, metadataOf(ctx), signal, {
      open,
      delta: (chunk, elapsed) => { sse?.send({ chunk, elapsed_ms: Math.round(elapsed) }); },
      reasoning: (text, elapsed) => { sse?.send({ reasoning: text, elapsed_ms: Math.round(elapsed) }); },
    }, state.startedAtMs, state.upstream);
    open(outcome.upstreamMs);
    sse!.send({
      done: true,
      id: outcome.completionId,
      model: prepared.resolved.requestedId,
      provider: prepared.provider,
      ttft_ms: outcome.ttftMs === null ? null : Math.round(outcome.ttftMs),
      latency_ms: Math.round(outcome.upstreamMs),
      overhead_ms: overheadMs,
      finish_reason: outcome.finishReason,
      cost_usd: outcome.costUsd,
      ...usageView(outcome),
    });
    sse!.end();
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    const httpError = providerHttpError(err, prepared.projectId);
    if (!sse) throw httpError;
    sse.send({ error: { code: httpError.code, message: httpError.message, details: httpError.details } });
    sse.end();
  } finally {
    clearTimeout(early);
  }
}

/** Chat for the dashboard (project token) and for apps (public API key). */
export function chatRoutes(app: AppContext): Router {
  const router = new Router();
  const auth = authMiddleware(app);
  router.post('/projects/:projectId/ai/chat', auth.project, (ctx) => chat(app, ctx));
  router.post('/projects/:projectId/ai/chat/stream', auth.project, (ctx) => chatStream(app, ctx));
  router.post('/api/ai/chat', auth.apiKey, (ctx) => chat(app, ctx));
  router.post('/api/ai/chat/stream', auth.apiKey, (ctx) => chatStream(app, ctx));
  return router;
}
