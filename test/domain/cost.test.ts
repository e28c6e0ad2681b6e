import { describe, expect, it } from '@jest/globals';
import { costUsd, type Price } from '../../src/domain/cost.ts';
import { emptyUsage, type Usage } from '../../src/domain/usage.ts';

const usage = (u: Partial<Usage>): Usage => ({ ...emptyUsage(), ...u });
const sonnet: Price = { inputPerMTok: 3, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75, outputPerMTok: 15 };

describe('costUsd', () => {
  it('charges input, cache reads, cache writes and output at their own rates', () => {
    // 1000×3 + 2000×0.3 + 500×3.75 + 300×15 = 9975 micro-dollars
    expect(costUsd(usage({ inputTokens: 1000, cacheReadTokens: 2000, cacheWriteTokens: 500, outputTokens: 300 }), sonnet)).toBe(0.009975);
  });

  it('bills reasoning as output: it is inside outputTokens, never added twice', () => {
    const o1: Price = { inputPerMTok: 15, cacheReadPerMTok: 7.5, outputPerMTok: 60 };
    // 100×15 + 500×60 = 31500 micro-dollars, whatever part of the 500 was reasoning
    expect(costUsd(usage({ inputTokens: 100, outputTokens: 500, reasoningTokens: 400 }), o1)).toBe(0.0315);
    expect(costUsd(usage({ inputTokens: 100, outputTokens: 500, reasoningTokens: 0 }), o1)).toBe(0.0315);
  });

  it('charges cache tokens at the input rate when the price lists no cache rate', () => {
    const groq: Price = { inputPerMTok: 0.59, outputPerMTok: 0.79 };
    // (700 + 300)×0.59 + 10×0.79 = 597.9 micro-dollars
    expect(costUsd(usage({ inputTokens: 700, cacheReadTokens: 300, outputTokens: 10 }), groq)).toBe(0.0005979);
  });

  it('rounds to the nearest billionth of a dollar', () => {
    const flash: Price = { inputPerMTok: 0.075, cacheReadPerMTok: 0.01875, outputPerMTok: 0.3 };
    expect(costUsd(usage({ cacheReadTokens: 1 }), flash)).toBe(0.000000019); // 18.75 nano-dollars
    expect(costUsd(usage({ inputTokens: 1 }), flash)).toBe(0.000000075);
  });

  it('does not accumulate binary floating-point noise', () => {
    const p: Price = { inputPerMTok: 0.1, outputPerMTok: 0.1 };
    expect(costUsd(usage({ inputTokens: 1, outputTokens: 2 }), p)).toBe(0.0000003);
  });

  it('costs nothing for no tokens, and stays exact for large counts', () => {
    expect(costUsd(emptyUsage(), sonnet)).toBe(0);
    // 10M input at $2.50 + 1M output at $10 = $35
    expect(costUsd(usage({ inputTokens: 10_000_000, outputTokens: 1_000_000 }), { inputPerMTok: 2.5, outputPerMTok: 10 })).toBe(35);
  });
});
