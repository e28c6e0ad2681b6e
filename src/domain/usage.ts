/**
 * One usage record per completion, whatever the provider reported. Input is split into what was
 * billed at the normal rate, read from the provider's prompt cache, and written to it; reasoning
 * tokens are counted inside output (as every provider bills them) and also shown on their own.
 */
export interface Usage {
  /** Input tokens billed at the normal input rate (excludes cache reads and writes). */
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** All generated tokens, reasoning included. */
  outputTokens: number;
  /** The part of outputTokens spent on reasoning (o1, deepseek-reasoner, Gemini thoughts). */
  reasoningTokens: number;
  /** True when counted by the gateway's tokenizer because the provider gave no numbers. */
  estimated: boolean;
  /** The provider's own usage object, as received, for audit. */
  raw?: unknown;
}

export const emptyUsage = (): Usage => ({
  inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0, estimated: false,
});

/** The spec's prompt/completion view: prompt counts every input token, cached or not. */
export function promptTokens(u: Usage): number {
  return u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
}
export function completionTokens(u: Usage): number {
  return u.outputTokens;
}
export function totalTokens(u: Usage): number {
  return promptTokens(u) + completionTokens(u);
}
