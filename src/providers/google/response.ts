import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from '@google/genai';
import type { Usage } from '../../domain/usage.ts';
import type { ChatResult, FinishReason, StreamEvent } from '../types.ts';

const CONTENT_FILTER = new Set([
  'SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT',
]);

export function finishReasonOf(reason: string | undefined): FinishReason {
  if (reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== undefined && CONTENT_FILTER.has(reason)) return 'content_filter';
  return 'other';
}

/**
 * promptTokenCount includes the cached part (cachedContentTokenCount); candidatesTokenCount
 * excludes thinking (thoughtsTokenCount), which is billed as output.
 */
export function toUsage(u: GenerateContentResponseUsageMetadata): Usage {
  const cached = u.cachedContentTokenCount ?? 0;
  const thoughts = u.thoughtsTokenCount ?? 0;
  return {
    inputTokens: Math.max(0, (u.promptTokenCount ?? 0) - cached) + (u.toolUsePromptTokenCount ?? 0),
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
    outputTokens: (u.candidatesTokenCount ?? 0) + thoughts,
    reasoningTokens: thoughts,
    estimated: false,
    raw: u,
  };
}

interface Pieces { text: string; reasoning: string; finishReason: string | undefined }

function piecesOf(response: GenerateContentResponse): Pieces {
  const candidate = response.candidates?.[0];
  let text = '';
  let reasoning = '';
  for (const part of candidate?.content?.parts ?? []) {
    if (typeof part.text !== 'string') continue;
    if (part.thought) reasoning += part.text;
    else text += part.text;
  }
  // A blocked prompt comes back without candidates, only with promptFeedback.blockReason.
  const blocked = !candidate && response.promptFeedback?.blockReason ? 'SAFETY' : undefined;
  return { text, reasoning, finishReason: candidate?.finishReason ?? blocked };
}

export function fromResponse(response: GenerateContentResponse): ChatResult {
  const { text, reasoning, finishReason } = piecesOf(response);
  return {
    content: text,
    reasoning: reasoning || undefined,
    finishReason: finishReasonOf(finishReason),
    usage: response.usageMetadata ? toUsage(response.usageMetadata) : undefined,
    providerResponseId: response.responseId,
  };
}

/** Streamed chunks carry running usage totals, so each report replaces the previous one. */
export class GenerateStreamTranslator {
  #finishReason: string | undefined;
  #id: string | undefined;

  get finished(): boolean {
    return this.#finishReason !== undefined;
  }

  accept(chunk: GenerateContentResponse): StreamEvent[] {
    const out: StreamEvent[] = [];
    const { text, reasoning, finishReason } = piecesOf(chunk);
    this.#id ??= chunk.responseId;
    if (reasoning) out.push({ type: 'reasoning', text: reasoning });
    if (text) out.push({ type: 'delta', text });
    if (chunk.usageMetadata) out.push({ type: 'usage', usage: toUsage(chunk.usageMetadata) });
    if (finishReason !== undefined) this.#finishReason = finishReason;
    return out;
  }

  finish(): StreamEvent {
    return { type: 'finish', finishReason: finishReasonOf(this.#finishReason), providerResponseId: this.#id };
  }
}
