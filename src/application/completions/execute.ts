import type { AppContext } from '../context.ts';
import type { EventMetadata } from '../../eventstore/port.ts';
import { getAdapter } from '../../providers/registry.ts';
import { ProviderError, type FinishReason } from '../../providers/types.ts';
import { streamWithRetries, withRetries } from '../../providers/retry.ts';
import { estimateUsage } from '../../providers/estimate.ts';
import { costUsd } from '../../domain/cost.ts';
import { PRICE_TABLE } from '../../catalog/prices.ts';
import type { Usage } from '../../domain/usage.ts';
import { scrubText } from '../../log.ts';
import { recordCompletionEvent } from './record.ts';
import type { PreparedCompletion } from './prepare.ts';

export interface CompletionOutcome {
  completionId: string;
  content: string;
  reasoning: string | undefined;
  finishReason: FinishReason;
  usage: Usage;
  costUsd: number | null;
  /** Time spent waiting on the provider, retries included. */
  upstreamMs: number;
  ttftMs: number | null;
  providerResponseId: string | undefined;
}

/** Receives a stream as it happens; `open` is called before the first delta and may be called early. */
export interface StreamSink {
  /** `upstreamMs`: time spent waiting on the provider so far. */
  open(upstreamMs: number): void;
  delta(text: string, elapsedMs: number): void;
  reasoning(text: string, elapsedMs: number): void;
}

/** Filled in as the call proceeds, so the caller knows the provider's share of the time even on failure. */
export interface UpstreamTiming {
  upstreamMs: number;
}

const ms = (from: number) => Math.round((performance.now() - from) * 1000) / 1000;

async function recordRequested(app: AppContext, p: PreparedCompletion, metadata: EventMetadata, stream: boolean) {
  await recordCompletionEvent(app, {
    type: 'CompletionRequested',
    data: {
      projectId: p.projectId,
      completionId: p.completionId,
      source: p.source.kind,
      apiKeyId: p.source.apiKeyId,
      requestedModel: p.resolved.requestedId,
      provider: p.provider,
      model: p.resolved.providerModelId,
      stream,
      params: {
        temperature: p.request.temperature ?? null,
        maxTokens: p.request.max_tokens ?? null,
        topP: p.request.top_p ?? null,
        stop: p.request.stop ?? null,
      },
      messageCount: p.request.messages.length,
      messages: p.storeContent ? p.request.messages : null,
    },
  }, metadata, 'no_stream');
}

/**
 * Starts appending CompletionRequested and lets the upstream call run meanwhile, so the append's
 * round trip is not added to the caller's latency. No content reaches the client before the
 * append has committed (callers await `recorded` before the first delta and before the outcome; a
 * slow stream may have sent its headers already), and if it fails the upstream call is aborted
 * and no outcome is recorded: the request fails as a whole with the store's error.
 */
function startRequested(app: AppContext, p: PreparedCompletion, metadata: EventMetadata, stream: boolean, clientSignal: AbortSignal) {
  const guard = new AbortController();
  const recorded = recordRequested(app, p, metadata, stream);
  recorded.catch((err: unknown) => guard.abort(err));
  return { recorded, signal: AbortSignal.any([clientSignal, guard.signal]) };
}

function price(usage: Usage, p: PreparedCompletion): number | null {
  return p.resolved.price ? costUsd(usage, p.resolved.price) : null;
}

/** Any failure as a ProviderError; an unexpected one is a bug, reported without its internals. */
function asProviderError(err: unknown, p: PreparedCompletion, signal: AbortSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal.aborted) return new ProviderError({ provider: p.provider, kind: 'cancelled', message: 'the client went away' });
  return new ProviderError({ provider: p.provider, kind: 'invalid_response', message: scrubText(err instanceof Error ? err.message : String(err)).slice(0, 500) });
}

async function recordOutcome(
  app: AppContext, p: PreparedCompletion, metadata: EventMetadata,
  o: { usage: Usage | null; upstreamMs: number; ttftMs: number | null; attempts: number },
  outcome:
    | { kind: 'succeeded'; finishReason: FinishReason; providerResponseId: string | undefined; content: string; reasoning: string | undefined }
    | { kind: 'failed' | 'cancelled'; error: ProviderError; shuttingDown?: boolean },
): Promise<number | null> {
  const cost = o.usage ? price(o.usage, p) : null;
  const spend = {
    projectId: p.projectId, completionId: p.completionId, provider: p.provider, model: p.resolved.providerModelId,
    usage: o.usage, costUsd: cost, priceTableVersion: PRICE_TABLE.version,
    latencyMs: o.upstreamMs, ttftMs: o.ttftMs, attempts: Math.max(1, o.attempts),
  };
  if (outcome.kind === 'succeeded') {
    await recordCompletionEvent(app, { type: 'CompletionSucceeded', data: {
      ...spend, finishReason: outcome.finishReason, providerResponseId: outcome.providerResponseId ?? null,
      content: p.storeContent ? outcome.content : null, reasoning: p.storeContent ? outcome.reasoning ?? null : null,
    } }, metadata, 1n);
  } else if (outcome.kind === 'cancelled') {
    await recordCompletionEvent(app, { type: 'CompletionCancelled', data: { ...spend, reason: outcome.shuttingDown ? 'shutdown' : 'client_disconnected' } }, metadata, 1n);
  } else {
    const e = outcome.error;
    await recordCompletionEvent(app, { type: 'CompletionFailed', data: { ...spend, error: {
      kind: e.kind, status: e.status ?? null, providerCode: e.providerCode ?? null, message: e.message.slice(0, 2000),
    } } }, metadata, 1n);
  }
  return cost;
}

/**
 * Usage for a call that did not finish: what the provider counted for input, the rest estimated.
 * A call that produced nothing (refused, rate limited, timed out before a byte) has no usage:
 * providers do not bill those, and guessing would invent a cost.
 */
function partialUsage(p: PreparedCompletion, reported: Usage | undefined, text: string, reasoning: string): Usage | null {
  if (!reported && !text && !reasoning) return null;
  const estimate = estimateUsage(p.request, text, reasoning || undefined);
  if (!reported) return estimate;
  return {
    ...estimate,
    inputTokens: reported.inputTokens || estimate.inputTokens,
    cacheReadTokens: reported.cacheReadTokens,
    cacheWriteTokens: reported.cacheWriteTokens,
    outputTokens: Math.max(reported.outputTokens, estimate.outputTokens),
    raw: reported.raw,
  };
}

/** A plain (non-streaming) completion: Requested, the upstream call with retries, then its outcome. */
export async function runCompletion(
  app: AppContext, p: PreparedCompletion, metadata: EventMetadata, signal: AbortSignal, timing: UpstreamTiming = { upstreamMs: 0 },
): Promise<CompletionOutcome> {
  const { recorded, signal: callSignal } = startRequested(app, p, metadata, false, signal);
  const adapter = await getAdapter(p.provider);
  const started = performance.now();
  let attempts = 0;
  try {
    const result = await withRetries(() => {
      attempts++;
      return adapter.chat(p.credentials, p.request, { signal: callSignal, timeoutMs: app.config.UPSTREAM_TIMEOUT_MS });
    }, { maxRetries: app.config.UPSTREAM_MAX_RETRIES, signal: callSignal });
    const upstreamMs = timing.upstreamMs = ms(started);
    await recorded;
    const usage = result.usage ?? estimateUsage(p.request, result.content, result.reasoning);
    const cost = await recordOutcome(app, p, metadata, { usage, upstreamMs, ttftMs: null, attempts }, {
      kind: 'succeeded', finishReason: result.finishReason, providerResponseId: result.providerResponseId,
      content: result.content, reasoning: result.reasoning,
    });
    return {
      completionId: p.completionId, content: result.content, reasoning: result.reasoning, finishReason: result.finishReason,
      usage, costUsd: cost, upstreamMs, ttftMs: null, providerResponseId: result.providerResponseId,
    };
  } catch (err) {
    timing.upstreamMs = ms(started);
    await recorded; // its failure, if it failed, is the request's error
    const error = asProviderError(err, p, signal);
    await recordOutcome(app, p, metadata, { usage: null, upstreamMs: timing.upstreamMs, ttftMs: null, attempts },
      { kind: error.kind === 'cancelled' ? 'cancelled' : 'failed', error, shuttingDown: app.shuttingDown?.aborted });
    throw error;
  }
}

/**
 * A streamed completion. Retries happen only before the first delta; after that a failure ends the
 * stream. The outcome is recorded before this returns or throws, whatever happened.
 */
export async function streamCompletion(
  app: AppContext, p: PreparedCompletion, metadata: EventMetadata, signal: AbortSignal, sink: StreamSink, requestStartedAt: number,
  timing: UpstreamTiming = { upstreamMs: 0 },
): Promise<CompletionOutcome> {
  const { recorded, signal: callSignal } = startRequested(app, p, metadata, true, signal);
  const adapter = await getAdapter(p.provider);
  const started = performance.now();
  let attempts = 0;
  let text = '';
  let reasoning = '';
  let usage: Usage | undefined;
  let finishReason: FinishReason = 'other';
  let providerResponseId: string | undefined;
  let ttftMs: number | null = null;
  try {
    const events = streamWithRetries(() => {
      attempts++;
      return adapter.chatStream(p.credentials, p.request, { signal: callSignal, timeoutMs: app.config.UPSTREAM_TIMEOUT_MS });
    }, { maxRetries: app.config.UPSTREAM_MAX_RETRIES, signal: callSignal });
    for await (const event of events) {
      switch (event.type) {
        case 'delta':
        case 'reasoning': {
          if (!event.text) break;
          const elapsed = ms(requestStartedAt);
          if (ttftMs === null) {
            ttftMs = ms(started);
            await recorded; // committed long before a provider's first token, in practice
            sink.open(ttftMs);
          }
          if (event.type === 'delta') { text += event.text; sink.delta(event.text, elapsed); }
          else { reasoning += event.text; sink.reasoning(event.text, elapsed); }
          break;
        }
        case 'usage': usage = event.usage; break;
        case 'finish': finishReason = event.finishReason; providerResponseId = event.providerResponseId ?? providerResponseId; break;
      }
    }
    const upstreamMs = timing.upstreamMs = ms(started);
    await recorded;
    const final = usage ?? estimateUsage(p.request, text, reasoning || undefined);
    const cost = await recordOutcome(app, p, metadata, { usage: final, upstreamMs, ttftMs, attempts }, {
      kind: 'succeeded', finishReason, providerResponseId, content: text, reasoning: reasoning || undefined,
    });
    return { completionId: p.completionId, content: text, reasoning: reasoning || undefined, finishReason, usage: final, costUsd: cost, upstreamMs, ttftMs, providerResponseId };
  } catch (err) {
    timing.upstreamMs = ms(started);
    await recorded; // its failure, if it failed, is the request's error
    const error = asProviderError(err, p, signal);
    await recordOutcome(app, p, metadata, { usage: partialUsage(p, usage, text, reasoning), upstreamMs: timing.upstreamMs, ttftMs, attempts },
      { kind: error.kind === 'cancelled' ? 'cancelled' : 'failed', error, shuttingDown: app.shuttingDown?.aborted });
    throw error;
  }
}
