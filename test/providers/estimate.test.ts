import { describe, expect, it } from '@jest/globals';
import { countTokens, estimateInputTokens, estimateUsage } from '../../src/providers/estimate.ts';

describe('token estimation (o200k_base)', () => {
  it('counts tokens with the real tokenizer', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('Hello world')).toBe(2);
    expect(countTokens('hello')).toBe(1);
    // Not a character heuristic: a long common word is one token, punctuation-heavy text is many.
    expect(countTokens('internationalization')).toBeLessThan(5);
    expect(countTokens('!?!?!?!?')).toBeGreaterThan(1);
  });

  it('treats special-token markers in user text as plain text instead of failing', () => {
    expect(countTokens('<|endoftext|>')).toBeGreaterThan(1);
  });

  it('adds per-message framing to the input estimate', () => {
    const one = estimateInputTokens({ messages: [{ role: 'user', content: 'Hello world' }] });
    expect(one).toBe(3 + 3 + countTokens('user') + 2);
    const two = estimateInputTokens({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello world' }] });
    expect(two - one).toBe(3 + countTokens('system') + countTokens('Be brief.'));
  });

  it('returns a usage marked estimated, with reasoning counted inside output', () => {
    const request = { messages: [{ role: 'user' as const, content: 'Say hello' }] };
    const usage = estimateUsage(request, 'Hello there, friend.', 'The user wants a greeting.');
    const reasoning = countTokens('The user wants a greeting.');
    expect(usage).toEqual({
      inputTokens: estimateInputTokens(request),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: countTokens('Hello there, friend.') + reasoning,
      reasoningTokens: reasoning,
      estimated: true,
    });
    expect(estimateUsage(request, 'Hi').reasoningTokens).toBe(0);
  });

  it('bounds the work on huge text by counting the excess at four characters a token', () => {
    const huge = 'a '.repeat(750_000); // 1.5M characters
    const started = Date.now();
    const n = countTokens(huge);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(n).toBe(countTokens(huge.slice(0, 1_000_000)) + Math.ceil(500_000 / 4));
  });
});
