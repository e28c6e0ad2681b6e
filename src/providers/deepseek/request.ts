import type { OpenAIChatParams } from '../openai/request.ts';
import { optional } from '../openaiCompatible/params.ts';
import type { ChatRequest } from '../types.ts';

/** deepseek-reasoner accepts but ignores sampling parameters; sending them would only mislead. */
export function ignoresSampling(model: string): boolean {
  return model.startsWith('deepseek-reasoner');
}

/** DeepSeek's Chat Completions: OpenAI's shape, `max_tokens` for every model, system role kept. */
export function toDeepSeekParams(request: ChatRequest, streaming: boolean): OpenAIChatParams {
  const sampling = ignoresSampling(request.model)
    ? {}
    : { ...optional('temperature', request.temperature), ...optional('top_p', request.top_p) };
  const base = {
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    ...optional('max_tokens', request.max_tokens),
    ...sampling,
    ...(request.stop?.length ? { stop: request.stop } : {}),
  };
  return streaming
    ? { ...base, stream: true, stream_options: { include_usage: true } }
    : { ...base, stream: false };
}
