import type { ResponseDialect } from '../openaiCompatible/response.ts';
import { usageFromOpenAIShape } from '../openaiCompatible/usage.ts';

/**
 * OpenAI reports usage on the completion, and in streams (with include_usage) on a last chunk with
 * empty `choices`. Chat Completions never return reasoning text, only its token count.
 */
export const openaiResponses: ResponseDialect = {
  provider: 'openai',
  usage: (payload) => usageFromOpenAIShape(payload.usage),
  reasoning: () => undefined,
};
