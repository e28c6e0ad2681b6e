import type { ResponseDialect } from '../openaiCompatible/response.ts';
import { asRecord, usageFromOpenAIShape } from '../openaiCompatible/usage.ts';

/**
 * Groq reports stream usage on its last chunk under `x_groq.usage`; with include_usage it also
 * sends OpenAI's top-level `usage`. Either is read; both carry the same totals.
 */
export const groqResponses: ResponseDialect = {
  provider: 'groq',
  usage: (payload) => usageFromOpenAIShape(payload.usage ?? asRecord(payload.x_groq)?.usage),
  reasoning: (m) => (typeof m.reasoning === 'string' ? m.reasoning : undefined),
  streamError: (chunk) => {
    const error = asRecord(chunk.x_groq)?.error;
    return typeof error === 'string' && error !== '' ? error : undefined;
  },
};
