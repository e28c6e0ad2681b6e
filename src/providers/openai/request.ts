import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { optional } from '../openaiCompatible/params.ts';
import type { ChatMessage, ChatRequest } from '../types.ts';

export type OpenAIChatParams = ChatCompletionCreateParamsNonStreaming | ChatCompletionCreateParamsStreaming;

/** o1, o3, o4 and their dated or sized variants (o1-2024-12-17, o3-mini, o4-mini). */
export function isReasoningModel(model: string): boolean {
  return /^o[134](?:$|[-.])/.test(model);
}

/** The first reasoning previews take neither system nor developer messages. */
function takesNoInstructions(model: string): boolean {
  return /^o1-(?:mini|preview)(?:$|-)/.test(model);
}

/** o3 and o4 reject `stop`; o1 accepts it. */
function rejectsStop(model: string): boolean {
  return /^o[34](?:$|[-.])/.test(model);
}

/**
 * Chat Completions parameters. Reasoning models take `max_completion_tokens` (which also bounds the
 * hidden reasoning), reject sampling parameters, and read instructions as `developer` messages.
 */
export function toOpenAIParams(request: ChatRequest, streaming: boolean): OpenAIChatParams {
  const reasoning = isReasoningModel(request.model);
  const base = {
    model: request.model,
    messages: request.messages.map((m) => toMessage(m, request.model, reasoning)),
    ...(request.stop?.length && !rejectsStop(request.model) ? { stop: request.stop } : {}),
    ...(reasoning
      ? optional('max_completion_tokens', request.max_tokens)
      : {
          ...optional('max_tokens', request.max_tokens),
          ...optional('temperature', request.temperature),
          ...optional('top_p', request.top_p),
        }),
  };
  return streaming
    ? { ...base, stream: true, stream_options: { include_usage: true } }
    : { ...base, stream: false };
}

function toMessage(m: ChatMessage, model: string, reasoning: boolean): ChatCompletionMessageParam {
  if (m.role !== 'system' || !reasoning) return { role: m.role, content: m.content };
  return takesNoInstructions(model) ? { role: 'user', content: m.content } : { role: 'developer', content: m.content };
}
