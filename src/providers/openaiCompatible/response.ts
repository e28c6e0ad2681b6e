import type { Usage } from '../../domain/usage.ts';
import { ProviderError, type ChatResult, type FinishReason, type ProviderName, type StreamEvent } from '../types.ts';
import { asRecord } from './usage.ts';

/** How one OpenAI-shaped provider differs when reading responses. */
export interface ResponseDialect {
  provider: ProviderName;
  /** Usage from a whole completion or from one stream chunk; undefined when it carries none. */
  usage(payload: Record<string, unknown>): Usage | undefined;
  /** Reasoning text from a message or a stream delta, kept apart from content. */
  reasoning(messageOrDelta: Record<string, unknown>): string | undefined;
  /** A provider-specific in-stream failure signal (e.g. Groq's x_groq.error). */
  streamError?(chunk: Record<string, unknown>): string | undefined;
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content_filter',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  // DeepSeek: the inference was interrupted for lack of resources.
  insufficient_system_resource: 'error',
};

export function finishReasonFrom(raw: unknown): FinishReason {
  return typeof raw === 'string' ? (FINISH[raw] ?? 'other') : 'other';
}

export function toChatResult(completion: unknown, dialect: ResponseDialect): ChatResult {
  const body = asRecord(completion);
  const choice = asRecord(Array.isArray(body?.choices) ? body.choices[0] : undefined);
  const message = asRecord(choice?.message);
  if (!body || !choice || !message) {
    throw new ProviderError({ provider: dialect.provider, kind: 'invalid_response', message: `${dialect.provider} answered without a choice` });
  }
  return {
    content: typeof message.content === 'string' ? message.content : '',
    reasoning: dialect.reasoning(message) || undefined,
    finishReason: finishReasonFrom(choice.finish_reason),
    usage: dialect.usage(body),
    providerResponseId: typeof body.id === 'string' ? body.id : undefined,
  };
}

/**
 * Turns stream chunks into normalized events. The finish event is held back until the stream
 * ends because usage arrives after the chunk that carries finish_reason.
 */
export class StreamReader {
  readonly #dialect: ResponseDialect;
  finishReason: FinishReason | undefined;
  responseId: string | undefined;

  constructor(dialect: ResponseDialect) {
    this.#dialect = dialect;
  }

  read(chunk: unknown): StreamEvent[] {
    const c = asRecord(chunk);
    if (!c) return [];
    const failure = this.#dialect.streamError?.(c);
    if (failure) throw new ProviderError({ provider: this.#dialect.provider, kind: 'upstream', message: failure });
    if (this.responseId === undefined && typeof c.id === 'string') this.responseId = c.id;
    const events: StreamEvent[] = [];
    const choice = asRecord(Array.isArray(c.choices) ? c.choices[0] : undefined);
    const delta = asRecord(choice?.delta);
    if (delta) {
      const reasoning = this.#dialect.reasoning(delta);
      if (reasoning) events.push({ type: 'reasoning', text: reasoning });
      if (typeof delta.content === 'string' && delta.content !== '') events.push({ type: 'delta', text: delta.content });
    }
    if (choice && choice.finish_reason != null) this.finishReason = finishReasonFrom(choice.finish_reason);
    const usage = this.#dialect.usage(c);
    if (usage) events.push({ type: 'usage', usage });
    return events;
  }

  finish(): StreamEvent {
    if (this.finishReason === undefined) {
      throw new ProviderError({
        provider: this.#dialect.provider,
        kind: 'invalid_response',
        message: `${this.#dialect.provider} ended the stream without a finish reason`,
      });
    }
    return { type: 'finish', finishReason: this.finishReason, providerResponseId: this.responseId };
  }
}
