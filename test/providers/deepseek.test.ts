import { describe, expect, it } from '@jest/globals';
import { deepseekAdapter } from '../../src/providers/deepseek/index.ts';
import { CACHED_READ_TOKENS, REASONING_TEXT, REASONING_TOKENS, tokensFor } from '../simulators/replies.ts';
import { startDeepSeekSimulator } from '../simulators/deepseek.ts';
import { callOptions, collect, lastUsage, reasoningOf, textOf } from './streamCollector.ts';
import { describeOpenAIShapedAdapter, expectNoKeyIn, failureOf } from './openaiShapedConformance.ts';

const KEY = 'sk-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const WRONG = 'sk-wrong6c5b4a39281706f5e4d3c2fcc2';
const t = describeOpenAIShapedAdapter({
  adapter: deepseekAdapter,
  startSimulator: startDeepSeekSimulator,
  model: 'deepseek-chat',
  apiKey: KEY,
  wrongKey: WRONG,
  baseUrl: (url) => url,
  chatPath: '/chat/completions',
  modelsPath: '/models',
  probe: 'GET /models',
});

describe('deepseek adapter: request mapping', () => {
  it('keeps system messages and sends max_tokens, temperature, top_p and stop for deepseek-chat', async () => {
    await deepseekAdapter.chat(t.creds(), t.request({
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      max_tokens: 50, temperature: 0.3, top_p: 0.8, stop: ['END'],
    }), callOptions());
    expect(t.sim().requests[0]!.body).toEqual({
      model: 'deepseek-chat',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      max_tokens: 50, temperature: 0.3, top_p: 0.8, stop: ['END'], stream: false,
    });
  });

  it('does not send temperature or top_p to deepseek-reasoner, which ignores them', async () => {
    await deepseekAdapter.chat(t.creds(), t.request({ model: 'deepseek-reasoner', temperature: 0.3, top_p: 0.8, max_tokens: 20000 }), callOptions());
    expect(t.sim().requests[0]!.body).toEqual({
      model: 'deepseek-reasoner', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 20000, stream: false,
    });
  });

  it('works with the documented /v1 base URL as well as the host root', async () => {
    const result = await deepseekAdapter.chat({ apiKey: KEY, baseUrl: `${t.sim().url}/v1` }, t.request(), callOptions());
    expect(result.content).toBe('Hello from the deepseek simulator.');
    expect(t.sim().requests[0]!.path).toBe('/v1/chat/completions');
  });

  it("surfaces DeepSeek's own validation as bad_request (max_tokens beyond deepseek-chat's 8K)", async () => {
    const err = await failureOf(deepseekAdapter.chat(t.creds(), t.request({ max_tokens: 9000 }), callOptions()));
    expect(err).toMatchObject({ kind: 'bad_request', status: 400 });
    expect(err.message).toBe('Invalid max_tokens value, the valid range of max_tokens is [1, 8192]');
  });
});

describe('deepseek adapter: reasoning and cache usage', () => {
  it('returns reasoning_content as reasoning, never inside the content', async () => {
    const result = await deepseekAdapter.chat(t.creds(), t.request({ model: 'deepseek-reasoner' }), callOptions());
    expect(result.content).toBe('Hello from the deepseek simulator.');
    expect(result.reasoning).toBe(REASONING_TEXT);
    expect(result.usage).toMatchObject({
      outputTokens: tokensFor('Hello from the deepseek simulator.') + REASONING_TOKENS, reasoningTokens: REASONING_TOKENS,
    });
  });

  it('streams reasoning events before the answer deltas and counts reasoning tokens', async () => {
    const { events, error } = await collect(deepseekAdapter.chatStream(t.creds(), t.request({ model: 'deepseek-reasoner' }), callOptions()));
    expect(error).toBeUndefined();
    expect(reasoningOf(events)).toBe(REASONING_TEXT);
    expect(textOf(events)).toBe('Hello from the deepseek simulator.');
    const kinds = events.map((e) => e.type);
    expect(kinds.lastIndexOf('reasoning')).toBeLessThan(kinds.indexOf('delta'));
    expect(lastUsage(events)).toMatchObject({ reasoningTokens: REASONING_TOKENS });
  });

  it('maps prompt_cache_hit_tokens to cache reads and prompt_cache_miss_tokens to input', async () => {
    t.sim().enqueue({ kind: 'reply', usage: 'cached' });
    const result = await deepseekAdapter.chat(t.creds(), t.request(), callOptions());
    expect(result.usage).toMatchObject({ inputTokens: tokensFor('Say hello'), cacheReadTokens: CACHED_READ_TOKENS, cacheWriteTokens: 0 });
    expect(result.usage!.raw).toMatchObject({ prompt_cache_hit_tokens: CACHED_READ_TOKENS, prompt_cache_miss_tokens: tokensFor('Say hello') });
  });
});

describe('deepseek adapter: DeepSeek-specific failures', () => {
  it('scrubs the key tail DeepSeek echoes in its 401 text', async () => {
    const err = await failureOf(deepseekAdapter.chat(t.creds(WRONG), t.request(), callOptions()));
    expect(err.message).toMatch(/^Authentication Fails, Your api key: .*\[redacted\].* is invalid$/);
    expectNoKeyIn(err, WRONG);
  });

  it('treats 402 insufficient balance as a key problem that retrying cannot fix', async () => {
    t.sim().enqueue({ kind: 'error', status: 402 });
    const err = await failureOf(deepseekAdapter.chat(t.creds(), t.request(), callOptions()));
    expect(err).toMatchObject({ kind: 'authentication', status: 402, message: 'Insufficient Balance', retryable: false });
  });
});

describe('deepseek adapter: base URL', () => {
  const check = (u: string) => deepseekAdapter.checkBaseUrl(new URL(u));
  it('accepts the host root and /v1', () => {
    expect(check('https://api.deepseek.com')).toBeUndefined();
    expect(check('https://api.deepseek.com/')).toBeUndefined();
    expect(check('https://api.deepseek.com/v1')).toBeUndefined();
  });
  it('rejects any other path, naming what to use', () => {
    expect(check('https://api.deepseek.com/chat')).toMatch(/https:\/\/api\.deepseek\.com/);
    expect(check('https://api.deepseek.com/v1/chat/completions')).toMatch(/host root or end with \/v1/);
  });
  it('rejects other schemes and credentials', () => {
    expect(check('ws://api.deepseek.com')).toMatch(/http or https/);
    expect(check('https://a:b@api.deepseek.com')).toMatch(/credentials/);
  });
});
