import type { Usage } from '../../domain/usage.ts';
import type { ResponseDialect } from '../openaiCompatible/response.ts';
import { asRecord, count, usageFromOpenAIShape } from '../openaiCompatible/usage.ts';

/**
 * DeepSeek splits the prompt into `prompt_cache_hit_tokens` and `prompt_cache_miss_tokens` (their
 * sum is `prompt_tokens`); the reasoner's chain of thought arrives as `reasoning_content` and its
 * tokens are inside `completion_tokens`.
 */
export function deepseekUsage(value: unknown): Usage | undefined {
  const u = asRecord(value);
  const base = usageFromOpenAIShape(value);
  if (!u || !base) return base;
  if (u.prompt_cache_hit_tokens === undefined && u.prompt_cache_miss_tokens === undefined) return base;
  const hit = count(u.prompt_cache_hit_tokens);
  const miss = u.prompt_cache_miss_tokens !== undefined ? count(u.prompt_cache_miss_tokens) : Math.max(0, count(u.prompt_tokens) - hit);
  return { ...base, inputTokens: miss, cacheReadTokens: hit };
}

export const deepseekResponses: ResponseDialect = {
  provider: 'deepseek',
  usage: (payload) => deepseekUsage(payload.usage),
  reasoning: (m) => (typeof m.reasoning_content === 'string' ? m.reasoning_content : undefined),
};
