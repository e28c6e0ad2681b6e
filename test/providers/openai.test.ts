import { describe, expect, it } from '@jest/globals';
import { APIError } from 'openai';
import { openaiAdapter } from '../../src/providers/openai/index.ts';
import { openaiSdkErrors } from '../../src/providers/openai/errors.ts';
import { mapSdkError } from '../../src/providers/openaiCompatible/errors.ts';
import { callSignal } from '../../src/providers/shared/callSignal.ts';
import { REASONING_TOKENS, tokensFor } from '../simulators/replies.ts';
import { startOpenAISimulator } from '../simulators/openai.ts';
import { callOptions, collect, lastUsage } from './streamCollector.ts';
import { describeOpenAIShapedAdapter, failureOf } from './openaiShapedConformance.ts';

const KEY = 'sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78';
const t = describeOpenAIShapedAdapter({
  adapter: openaiAdapter,
  startSimulator: startOpenAISimulator,
  model: 'gpt-4o',
  apiKey: KEY,
  wrongKey: 'sk-proj-wrong9Zy8Xw7Vu6Ts5Rq4Po3Nm2Lk1Ji0',
  baseUrl: (url) => `${url}/v1`,
  chatPath: '/v1/chat/completions',
  modelsPath: '/v1/models',
  probe: 'GET /v1/models',
});

describe('openai adapter: request mapping', () => {
  it('keeps system messages and sends max_tokens, temperature, top_p and stop as given', async () => {
    await openaiAdapter.chat(t.creds(), t.request({
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      max_tokens: 50, temperature: 0.3, top_p: 0.8, stop: ['END'],
    }), callOptions());
    expect(t.sim().requests[0]!.body).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      max_tokens: 50, temperature: 0.3, top_p: 0.8, stop: ['END'], stream: false,
    });
  });

  it('sends nothing the request did not set', async () => {
    await openaiAdapter.chat(t.creds(), t.request(), callOptions());
    expect(t.sim().requests[0]!.body).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }], stream: false });
  });

  it('gives o1 developer instructions and max_completion_tokens, and drops sampling parameters', async () => {
    const result = await openaiAdapter.chat(t.creds(), t.request({
      model: 'o1',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      max_tokens: 500, temperature: 0.3, top_p: 0.8, stop: ['END'],
    }), callOptions());
    expect(t.sim().requests[0]!.body).toEqual({
      model: 'o1',
      messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      max_completion_tokens: 500, stop: ['END'], stream: false,
    });
    // Reasoning tokens are billed as output and reported on their own.
    expect(result.usage).toMatchObject({
      outputTokens: tokensFor('Hello from the openai simulator.') + REASONING_TOKENS, reasoningTokens: REASONING_TOKENS,
    });
    expect(result.reasoning).toBeUndefined();
  });

  it('drops stop for o3/o4 models, which reject it', async () => {
    await openaiAdapter.chat(t.creds(), t.request({ model: 'o3-mini', stop: ['END'], max_tokens: 100 }), callOptions());
    expect(t.sim().requests[0]!.body).toEqual({
      model: 'o3-mini', messages: [{ role: 'user', content: 'Say hello' }], max_completion_tokens: 100, stream: false,
    });
  });

  it('turns instructions into a user turn for o1-mini, which takes neither system nor developer messages', async () => {
    await openaiAdapter.chat(t.creds(), t.request({
      model: 'o1-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
    }), callOptions());
    expect(t.sim().requests[0]!.body.messages).toEqual([{ role: 'user', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }]);
  });

  it('is refused by the simulator exactly as the API refuses a wrong mapping', async () => {
    // Proves the simulator is strict: a reasoning model with temperature is a 400 there, as upstream.
    const res = await fetch(`${t.sim().url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'o1', messages: [{ role: 'user', content: 'x' }], max_tokens: 5, temperature: 0.5 }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: 'max_tokens', code: 'unsupported_parameter' } });
  });

  it('streams o-series reasoning as a token count in usage, with no reasoning text', async () => {
    const { events } = await collect(openaiAdapter.chatStream(t.creds(), t.request({ model: 'o1' }), callOptions()));
    expect(events.some((e) => e.type === 'reasoning')).toBe(false);
    expect(lastUsage(events)).toMatchObject({ reasoningTokens: REASONING_TOKENS });
    expect(t.sim().requests[0]!.body).toMatchObject({ model: 'o1', stream: true, stream_options: { include_usage: true } });
  });

  it('passes the provider model id through and maps an unknown one to "bad_request"', async () => {
    const err = await failureOf(openaiAdapter.chat(t.creds(), t.request({ model: 'gpt-does-not-exist' }), callOptions()));
    expect(err).toMatchObject({ kind: 'bad_request', status: 404, providerCode: 'model_not_found' });
    expect(err.message).toContain('gpt-does-not-exist');
  });
});

describe('openai adapter: error mapping details', () => {
  it('treats an exhausted quota (429 insufficient_quota) as no rate limit: it is not retryable', () => {
    const err = new APIError(429, { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' }, undefined, new Headers());
    const mapped = mapSdkError('openai', openaiSdkErrors, err, { apiKey: KEY, call: callSignal(callOptions()) });
    expect(mapped).toMatchObject({ kind: 'authentication', status: 429, providerCode: 'insufficient_quota', retryable: false });
  });
});

describe('openai adapter: base URL', () => {
  const check = (u: string) => openaiAdapter.checkBaseUrl(new URL(u));
  it('accepts URLs ending in /v1', () => {
    expect(check('https://api.openai.com/v1')).toBeUndefined();
    expect(check('https://api.openai.com/v1/')).toBeUndefined();
    expect(check('http://127.0.0.1:8080/proxy/openai/v1')).toBeUndefined();
  });
  it('rejects a host root, saying to add /v1', () => {
    expect(check('https://api.openai.com')).toMatch(/\/v1/);
  });
  it('rejects other schemes, credentials, queries and fragments', () => {
    expect(check('ftp://api.openai.com/v1')).toMatch(/http or https/);
    expect(check('https://user:pw@api.openai.com/v1')).toMatch(/credentials/);
    expect(check('https://api.openai.com/v1?x=1')).toMatch(/query/);
    expect(check('https://api.openai.com/v1#frag')).toMatch(/fragment/);
  });
});
