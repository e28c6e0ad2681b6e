import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'groq-sdk/resources/chat/completions';
import { optional } from '../openaiCompatible/params.ts';
import type { ChatRequest } from '../types.ts';

/** groq-sdk's types predate `stream_options`, which Groq's API accepts and documents. */
export type GroqChatParams =
  | ChatCompletionCreateParamsNonStreaming
  | (ChatCompletionCreateParamsStreaming & { stream_options: { include_usage: boolean } });

/**
 * Groq's Chat Completions: OpenAI's shape; `max_completion_tokens` replaces the deprecated
 * `max_tokens`; system messages stay system messages.
 */
export function toGroqParams(request: ChatRequest, streaming: boolean): GroqChatParams {
  const base = {
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    ...optional('max_completion_tokens', request.max_tokens),
    ...optional('temperature', request.temperature),
    ...optional('top_p', request.top_p),
    ...(request.stop?.length ? { stop: request.stop } : {}),
  };
  return streaming
    ? { ...base, stream: true, stream_options: { include_usage: true } }
    : { ...base, stream: false };
}
