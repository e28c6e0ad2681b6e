import type { Usage } from '../../domain/usage.ts';

type Raw = Record<string, unknown>;

/** A token count from untrusted JSON: a non-negative integer, or 0. */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function asRecord(value: unknown): Raw | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : undefined;
}

/**
 * OpenAI's usage object: `prompt_tokens` includes `prompt_tokens_details.cached_tokens`, and
 * `completion_tokens` includes `completion_tokens_details.reasoning_tokens`.
 */
export function usageFromOpenAIShape(value: unknown): Usage | undefined {
  const u = asRecord(value);
  if (!u || (u.prompt_tokens === undefined && u.completion_tokens === undefined)) return undefined;
  const prompt = count(u.prompt_tokens);
  const cached = Math.min(prompt, count(asRecord(u.prompt_tokens_details)?.cached_tokens));
  return {
    inputTokens: prompt - cached,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
    outputTokens: count(u.completion_tokens),
    reasoningTokens: count(asRecord(u.completion_tokens_details)?.reasoning_tokens),
    estimated: false,
    raw: value,
  };
}
