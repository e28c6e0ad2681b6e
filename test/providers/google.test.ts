import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { googleAdapter } from '../../src/providers/google/index.ts';
import { ProviderError, type ChatRequest } from '../../src/providers/types.ts';
import type { Simulator } from '../simulators/base.ts';
import { startGoogleSimulator, type GoogleScript } from '../simulators/google.ts';
import { CACHED_READ_TOKENS, REASONING_TEXT, REASONING_TOKENS, tokensFor } from '../simulators/replies.ts';
import { callOptions, collect, lastUsage, reasoningOf, textOf } from './streamCollector.ts';

const KEY = 'AIzaSyD3-Fq9xY2kLmN4pQr7sTuVwXyZ0123456';
const REPLY = 'Hello from the google simulator.';
let sim: Simulator<GoogleScript>;
const creds = () => ({ apiKey: KEY, baseUrl: sim.url });
const hello = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Say hello' }], ...extra,
});

async function failureOf(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

beforeAll(async () => { sim = await startGoogleSimulator(); });
afterAll(async () => { await sim.close(); });
beforeEach(() => sim.reset());

describe('google adapter: chat', () => {
  it('returns the reply with usage and sends generateContent with the key header', async () => {
    const result = await googleAdapter.chat(creds(), hello({ temperature: 0.4, top_p: 0.8, max_tokens: 256, stop: ['END'] }), callOptions());
    expect(result).toMatchObject({ content: REPLY, finishReason: 'stop', reasoning: undefined });
    expect(result.providerResponseId).toEqual(expect.any(String));
    expect(result.usage).toMatchObject({
      inputTokens: tokensFor('Say hello'), cacheReadTokens: 0, cacheWriteTokens: 0,
      outputTokens: tokensFor(REPLY), reasoningTokens: 0, estimated: false,
    });

    expect(sim.requests).toHaveLength(1);
    const [req] = sim.requests;
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(req!.headers['x-goog-api-key']).toBe(KEY);
    expect(req!.query.get('key')).toBeNull();
    expect(req!.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }],
      generationConfig: { temperature: 0.4, topP: 0.8, maxOutputTokens: 256, stopSequences: ['END'] },
    });
  });

  it('sends system messages as systemInstruction, assistant turns as model, and merges repeated roles', async () => {
    await googleAdapter.chat(creds(), hello({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'First' },
        { role: 'user', content: 'Second' },
        { role: 'assistant', content: 'Noted' },
        { role: 'system', content: 'Answer in English.' },
        { role: 'user', content: 'Third' },
      ],
    }), callOptions());
    const body = sim.requests[0]!.body;
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be brief.\n\nAnswer in English.' }] });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'First\n\nSecond' }] },
      { role: 'model', parts: [{ text: 'Noted' }] },
      { role: 'user', parts: [{ text: 'Third' }] },
    ]);
    expect(body.generationConfig ?? {}).toEqual({});
  });

  it('maps MAX_TOKENS to length', async () => {
    const result = await googleAdapter.chat(creds(), hello({ max_tokens: 2 }), callOptions());
    expect(result).toMatchObject({ finishReason: 'length', content: 'Hello fr' });
  });

  it('counts the cached part of the prompt apart from the rest', async () => {
    sim.enqueue({ kind: 'reply', usage: 'cached' });
    const { usage } = await googleAdapter.chat(creds(), hello(), callOptions());
    expect(usage).toMatchObject({ inputTokens: tokensFor('Say hello'), cacheReadTokens: CACHED_READ_TOKENS, cacheWriteTokens: 0 });
  });

  it('keeps thought parts out of the content and adds thinking tokens to output', async () => {
    sim.enqueue({ kind: 'reply', usage: 'reasoning' });
    const result = await googleAdapter.chat(creds(), hello(), callOptions());
    expect(result.content).toBe(REPLY);
    expect(result.reasoning).toBe(REASONING_TEXT);
    expect(result.usage).toMatchObject({ reasoningTokens: REASONING_TOKENS, outputTokens: tokensFor(REPLY) + REASONING_TOKENS });
  });

  it('leaves usage undefined when the provider sent none', async () => {
    sim.enqueue({ kind: 'reply', omitUsage: true });
    expect((await googleAdapter.chat(creds(), hello(), callOptions())).usage).toBeUndefined();
  });
});

describe('google adapter: streaming', () => {
  it('streams deltas in order from streamGenerateContent?alt=sse, with the last running usage winning', async () => {
    sim.enqueue({ kind: 'reply', text: 'One two three four', chunkDelayMs: 5 });
    const { events, error } = await collect(googleAdapter.chatStream(creds(), hello(), callOptions()));
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)).toEqual(['One', ' two', ' three', ' four']);
    const usages = events.filter((e) => e.type === 'usage');
    expect(usages.length).toBe(4);
    expect(lastUsage(events)).toMatchObject({ inputTokens: tokensFor('Say hello'), outputTokens: tokensFor('One two three four') });
    expect(events.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', providerResponseId: expect.any(String) });
    expect(sim.requests[0]!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(sim.requests[0]!.query.get('alt')).toBe('sse');
  });

  it('streams thought parts as reasoning and reports thinking tokens', async () => {
    sim.enqueue({ kind: 'reply', usage: 'reasoning' });
    const { events } = await collect(googleAdapter.chatStream(creds(), hello(), callOptions()));
    expect(reasoningOf(events)).toBe(REASONING_TEXT);
    expect(textOf(events)).toBe(REPLY);
    expect(lastUsage(events)).toMatchObject({ reasoningTokens: REASONING_TOKENS, outputTokens: tokensFor(REPLY) + REASONING_TOKENS });
  });

  it('reports cached tokens in the stream usage', async () => {
    sim.enqueue({ kind: 'reply', usage: 'cached' });
    const { events } = await collect(googleAdapter.chatStream(creds(), hello(), callOptions()));
    expect(lastUsage(events)).toMatchObject({ cacheReadTokens: CACHED_READ_TOKENS, inputTokens: tokensFor('Say hello') });
  });

  it('finishes with length on MAX_TOKENS', async () => {
    const { events } = await collect(googleAdapter.chatStream(creds(), hello({ max_tokens: 3 }), callOptions()));
    expect(events.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
  });

  it('streams without usage events when the provider sends none', async () => {
    sim.enqueue({ kind: 'reply', omitUsage: true });
    const { events, error } = await collect(googleAdapter.chatStream(creds(), hello(), callOptions()));
    expect(error).toBeUndefined();
    expect(events.some((e) => e.type === 'usage')).toBe(false);
    expect(textOf(events)).toBe(REPLY);
  });

  it('throws after the deltas already yielded when the connection is cut mid-stream', async () => {
    sim.enqueue({ kind: 'cut', afterChunks: 2 });
    const { events, error } = await collect(googleAdapter.chatStream(creds(), hello(), callOptions()));
    expect(textOf(events)).toBe('Hello from');
    expect(error).toMatchObject({ kind: 'connection' });
    expect(events.some((e) => e.type === 'finish')).toBe(false);
  });

  it('turns an error chunk mid-stream into a provider error after the deltas', async () => {
    sim.enqueue({ kind: 'streamError', afterChunks: 1, status: 503 });
    const { events, error } = await collect(googleAdapter.chatStream(creds(), hello(), callOptions()));
    expect(textOf(events)).toBe('Hello');
    expect(error).toMatchObject({ kind: 'upstream', status: 503, providerCode: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' });
  });

  it('fails before any event when the API rejects the stream request', async () => {
    sim.enqueue({ kind: 'error', status: 500 });
    const { events, error } = await collect(googleAdapter.chatStream(creds(), hello(), callOptions()));
    expect(events).toHaveLength(0);
    expect(error).toMatchObject({ kind: 'upstream', status: 500, providerCode: 'INTERNAL' });
  });
});

describe('google adapter: errors', () => {
  it('maps the 400 API_KEY_INVALID answer to authentication without echoing the key', async () => {
    const wrongKey = 'AIzaSy-wrong-0000000000000000000000000';
    const err = await failureOf(googleAdapter.chat({ apiKey: wrongKey, baseUrl: sim.url }, hello(), callOptions()));
    expect(err).toMatchObject({ kind: 'authentication', status: 400, providerCode: 'API_KEY_INVALID', message: 'API key not valid. Please pass a valid API key.' });
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain(wrongKey);
  });

  it('scrubs a key the provider echoes', async () => {
    sim.enqueue({ kind: 'error', status: 403, message: `API key ${KEY} is not allowed; ${KEY.slice(0, 8)}...${KEY.slice(-4)} blocked` });
    const err = await failureOf(googleAdapter.chat(creds(), hello(), callOptions()));
    expect(err.kind).toBe('authentication');
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain(KEY.slice(-4));
    expect(err.message).toContain('[redacted]');
  });

  it('reads RetryInfo.retryDelay from a 429 body', async () => {
    sim.enqueue({ kind: 'error', status: 429, retryDelaySeconds: 17 });
    const err = await failureOf(googleAdapter.chat(creds(), hello(), callOptions()));
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 17_000, providerCode: 'RESOURCE_EXHAUSTED' });
  });

  it('reads fractional retry delays', async () => {
    sim.enqueue({ kind: 'error', status: 429, retryDelaySeconds: 1.5 });
    expect((await failureOf(googleAdapter.chat(creds(), hello(), callOptions()))).retryAfterMs).toBe(1500);
  });

  it.each([
    [400, 'bad_request', 'INVALID_ARGUMENT'],
    [403, 'authentication', 'PERMISSION_DENIED'],
    [404, 'bad_request', 'NOT_FOUND'],
    [500, 'upstream', 'INTERNAL'],
    [503, 'upstream', 'UNAVAILABLE'],
  ] as const)('maps HTTP %i to %s, calling the API once (SDK retries off)', async (status, kind, code) => {
    sim.enqueue({ kind: 'error', status });
    const err = await failureOf(googleAdapter.chat(creds(), hello(), callOptions()));
    expect(err).toMatchObject({ kind, status, providerCode: code });
    expect(sim.requests).toHaveLength(1);
  });

  it('reports what the API rejected in the request', async () => {
    const err = await failureOf(googleAdapter.chat(creds(), hello({ temperature: 3 }), callOptions()));
    expect(err.kind).toBe('bad_request');
    expect(err.message).toMatch(/temperature must be in the range/);
  });

  it('reports an unknown model as a bad request', async () => {
    const err = await failureOf(googleAdapter.chat(creds(), hello({ model: 'palm-2' }), callOptions()));
    expect(err).toMatchObject({ kind: 'bad_request', status: 404 });
    expect(err.message).toMatch(/models\/palm-2 is not found/);
  });

  it('times out a request that never gets an answer', async () => {
    sim.enqueue({ kind: 'hang' });
    const err = await failureOf(googleAdapter.chat(creds(), hello(), callOptions(300)));
    expect(err.kind).toBe('timeout');
  });

  it('times out a stream that stalls after it started', async () => {
    sim.enqueue({ kind: 'reply', chunkDelayMs: 400 });
    const { events, error } = await collect(googleAdapter.chatStream(creds(), hello(), callOptions(600)));
    expect(events.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  it('reports cancelled when the caller aborts', async () => {
    sim.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failureOf(googleAdapter.chat(creds(), hello(), callOptions(5000, controller.signal)));
    expect(err.kind).toBe('cancelled');
  });

  it('reports cancelled when the caller aborts a running stream', async () => {
    sim.enqueue({ kind: 'reply', chunkDelayMs: 200 });
    const controller = new AbortController();
    const events: unknown[] = [];
    const err = await (async () => {
      for await (const e of googleAdapter.chatStream(creds(), hello(), callOptions(5000, controller.signal))) {
        events.push(e);
        controller.abort();
      }
    })().then(() => undefined, (e: unknown) => e);
    expect(events.length).toBeGreaterThan(0);
    expect(err).toMatchObject({ kind: 'cancelled' });
  });

  it('reports a dropped connection as a connection error, sent once', async () => {
    sim.enqueue({ kind: 'drop' });
    const err = await failureOf(googleAdapter.chat(creds(), hello(), callOptions()));
    expect(err.kind).toBe('connection');
    expect(sim.requests).toHaveLength(1);
  });
});

describe('google adapter: base URL and connectivity', () => {
  it.each(['https://generativelanguage.googleapis.com', 'https://generativelanguage.googleapis.com/', 'http://127.0.0.1:9000'])('accepts %s', (url) => {
    expect(googleAdapter.checkBaseUrl(new URL(url))).toBeUndefined();
  });

  it.each([
    ['https://generativelanguage.googleapis.com/v1beta', /host root.*v1beta/],
    ['file:///tmp/x', /http or https/],
    ['https://a:b@generativelanguage.googleapis.com', /credentials/],
    ['https://generativelanguage.googleapis.com/?key=abc', /query/],
  ])('rejects %s', (url, message) => {
    expect(googleAdapter.checkBaseUrl(new URL(url))).toMatch(message);
  });

  it('proves a key by listing one model', async () => {
    const result = await googleAdapter.testConnection(creds(), callOptions());
    expect(result.probe).toBe('GET /v1beta/models?pageSize=1');
    expect(sim.requests[0]).toMatchObject({ method: 'GET', path: '/v1beta/models' });
    expect(sim.requests[0]!.query.get('pageSize')).toBe('1');
    expect(sim.requests[0]!.headers['x-goog-api-key']).toBe(KEY);
  });

  it('fails the connectivity test on a wrong key', async () => {
    const err = await failureOf(googleAdapter.testConnection({ apiKey: 'AIza-wrong', baseUrl: sim.url }, callOptions()));
    expect(err.kind).toBe('authentication');
  });
});
