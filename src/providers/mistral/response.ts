import type { ChatCompletionResponse, CompletionChunk, ContentChunk, UsageInfo } from '@mistralai/mistralai/models/components';
import type { Usage } from '../../domain/usage.ts';
import type { ChatResult, FinishReason, StreamEvent } from '../types.ts';

export function finishReasonOf(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop': return 'stop';
    case 'length':
    case 'model_length': return 'length';
    case 'tool_calls': return 'tool_calls';
    case 'error': return 'error';
    default: return 'other';
  }
}

/**
 * Cached prompt tokens (`prompt_tokens_details.cached_tokens`, kept by the SDK under its original
 * name) are part of prompt_tokens. Mistral folds reasoning into completion_tokens without a
 * separate count. The SDK defaults absent counts to zero, so an all-zero report means none was sent.
 */
export function toUsage(u: UsageInfo | undefined): Usage | undefined {
  if (!u) return undefined;
  const prompt = u.promptTokens ?? 0;
  const completion = u.completionTokens ?? 0;
  if (prompt === 0 && completion === 0) return undefined;
  const details = u['prompt_tokens_details'] as { cached_tokens?: number } | undefined;
  const cached = Math.min(prompt, details?.cached_tokens ?? 0);
  const reasoning = (u['completion_tokens_details'] as { reasoning_tokens?: number } | undefined)?.reasoning_tokens ?? 0;
  return {
    inputTokens: prompt - cached,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
    outputTokens: completion,
    reasoningTokens: reasoning,
    estimated: false,
    raw: u,
  };
}

/** Content is a string, or chunks where `thinking` chunks hold reasoning text. */
function split(content: string | ContentChunk[] | null | undefined): { text: string; reasoning: string } {
  if (typeof content === 'string') return { text: content, reasoning: '' };
  let text = '';
  let reasoning = '';
  for (const chunk of content ?? []) {
    if (chunk.type === 'text' && 'text' in chunk) text += chunk.text;
    else if (chunk.type === 'thinking' && 'thinking' in chunk) {
      for (const t of chunk.thinking) if (t.type === 'text' && 'text' in t) reasoning += t.text;
    }
  }
  return { text, reasoning };
}

export function fromCompletion(response: ChatCompletionResponse): ChatResult {
  const choice = response.choices[0];
  const { text, reasoning } = split(choice?.message?.content);
  return {
    content: text,
    reasoning: reasoning || undefined,
    finishReason: finishReasonOf(choice?.finishReason),
    usage: toUsage(response.usage),
    providerResponseId: response.id,
  };
}

/** Usage comes on the final chunk together with the finish reason. */
export class CompletionStreamTranslator {
  #finishReason: string | undefined;
  #id: string | undefined;

  get finished(): boolean {
    return this.#finishReason !== undefined;
  }

  accept(chunk: CompletionChunk): StreamEvent[] {
    const out: StreamEvent[] = [];
    this.#id ??= chunk.id;
    const choice = chunk.choices[0];
    const { text, reasoning } = split(choice?.delta.content);
    if (reasoning) out.push({ type: 'reasoning', text: reasoning });
    if (text) out.push({ type: 'delta', text });
    const usage = toUsage(chunk.usage);
    if (usage) out.push({ type: 'usage', usage });
    if (choice?.finishReason) this.#finishReason = choice.finishReason;
    return out;
  }

  finish(): StreamEvent {
    return { type: 'finish', finishReason: finishReasonOf(this.#finishReason), providerResponseId: this.#id };
  }
}
