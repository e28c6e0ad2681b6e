import type { Message, MessageDeltaUsage, RawMessageStreamEvent, StopReason, Usage as AnthropicUsage } from '@anthropic-ai/sdk/resources/messages';
import type { Usage } from '../../domain/usage.ts';
import type { ChatResult, FinishReason, StreamEvent } from '../types.ts';

type UsageFields = Partial<AnthropicUsage> | Partial<MessageDeltaUsage>;

export function finishReasonOf(reason: StopReason | string | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence': return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded': return 'length';
    case 'tool_use': return 'tool_calls';
    case 'refusal': return 'content_filter';
    default: return 'other';
  }
}

/** Anthropic's input_tokens already excludes cache reads and writes, which it reports apart. */
export function toUsage(u: UsageFields): Usage {
  return {
    inputTokens: u.input_tokens ?? 0,
    cacheReadTokens: u.cache_read_input_tokens ?? 0,
    cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    reasoningTokens: u.output_tokens_details?.thinking_tokens ?? 0,
    estimated: false,
    raw: u,
  };
}

export function fromMessage(message: Message): ChatResult {
  let content = '';
  let reasoning = '';
  for (const block of message.content ?? []) {
    if (block.type === 'text') content += block.text;
    else if (block.type === 'thinking') reasoning += block.thinking;
  }
  return {
    content,
    reasoning: reasoning || undefined,
    finishReason: finishReasonOf(message.stop_reason),
    usage: message.usage ? toUsage(message.usage) : undefined,
    providerResponseId: message.id,
  };
}

/**
 * Turns the Messages SSE events into normalized stream events. Usage arrives in message_start
 * (input side) and message_delta (cumulative output, and in newer API versions cumulative input
 * too); non-null fields of a later report replace earlier ones.
 */
export class MessageStreamTranslator {
  #usage: Record<string, unknown> | undefined;
  #stopReason: StopReason | null = null;
  #id: string | undefined;
  #stopped = false;

  get stopped(): boolean {
    return this.#stopped;
  }

  accept(event: RawMessageStreamEvent): StreamEvent[] {
    switch (event.type) {
      case 'message_start':
        this.#id = event.message.id;
        return this.#mergeUsage(event.message.usage);
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text' && block.text) return [{ type: 'delta', text: block.text }];
        if (block.type === 'thinking' && block.thinking) return [{ type: 'reasoning', text: block.thinking }];
        return [];
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta' && delta.text) return [{ type: 'delta', text: delta.text }];
        if (delta.type === 'thinking_delta' && delta.thinking) return [{ type: 'reasoning', text: delta.thinking }];
        return [];
      }
      case 'message_delta':
        this.#stopReason = event.delta.stop_reason ?? this.#stopReason;
        return this.#mergeUsage(event.usage);
      case 'message_stop':
        this.#stopped = true;
        return [{ type: 'finish', finishReason: finishReasonOf(this.#stopReason), providerResponseId: this.#id }];
      default:
        return [];
    }
  }

  #mergeUsage(report: UsageFields | null | undefined): StreamEvent[] {
    if (!report) return [];
    const merged: Record<string, unknown> = { ...this.#usage };
    for (const [k, v] of Object.entries(report)) if (v !== null && v !== undefined) merged[k] = v;
    this.#usage = merged;
    return [{ type: 'usage', usage: toUsage(merged as UsageFields) }];
  }
}
