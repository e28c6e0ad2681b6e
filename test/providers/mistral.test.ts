import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mistralAdapter } from '../../src/providers/mistral/index.ts';
import { ProviderError, type ChatRequest } from '../../src/providers/types.ts';
import type { SimScript, Simulator } from '../simulators/base.ts';
import { startMistralSimulator } from '../simulators/mistral.ts';
import { CACHED_READ_TOKENS, REASONING_TEXT, tokensFor } from '../simulators/replies.ts';
import { callOptions, collect, lastUsage, reasoningOf, textOf } from './streamCollector.ts';

const KEY = 'Zq8xY2kLmN4pQr7sTuVwXyZ0a1b2c3d4';
const REPLY = 'Hello from the mistral simulator.';
let sim: Simulator<SimScript>;
const creds = () => ({ apiKey: KEY, baseUrl: sim.url });
const hello = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'mistral-small-latest', messages: [{ role: 'user', content: 'Say hello' }], ...extra,
});

async function failureOf(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

beforeAll(async () => { sim = await startMistralSimulator(); });
afterAll(async () => { await sim.close(); });
beforeEach(() => sim.reset());

describe('mistral adapter: chat', () => {
  it('returns the reply with usage and sends the OpenAI-like body with a bearer key', async () => {
    const result = await mistralAdapter.chat(creds(), hello({
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      temperature: 0.3, top_p: 0.9, max_tokens: 64, stop: ['END'],
    }), callOptions());
    expect(result).toMatchObject({ content: REPLY, finishReason: 'stop', reasoning: undefined });
    expect(result.providerResponseId).toEqual(expect.any(String));
    expect(result.usage).toMatchObject({
      inputTokens: tokensFor('Be brief.Say hello'), cacheReadTokens: 0, cacheWriteTokens: 0,
      outputTokens: tokensFor(REPLY), reasoningTokens: 0, estimated: false,
    });

    expect(sim.requests).toHaveLength(1);
    const [req] = sim.requests;
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/v1/chat/completions');
    expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req!.headers.accept).toBe('application/json');
    expect(req!.body).toEqual({
      model: 'mistral-small-latest',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 64,
      stop: ['END'],
      stream: false,
      safe_prompt: false,
    });
  });

  it('maps a length finish', async () => {
    const result = await mistralAdapter.chat(creds(), hello({ max_tokens: 2 }), callOptions());
    expect(result).toMatchObject({ finishReason: 'length', content: 'Hello fr' });
  });

  it('counts cached prompt tokens apart from the rest of the prompt', async () => {
    sim.enqueue({ kind: 'reply', usage: 'cached' });
    const { usage } = await mistralAdapter.chat(creds(), hello(), callOptions());
    expect(usage).toMatchObject({ inputTokens: tokensFor('Say hello'), cacheReadTokens: CACHED_READ_TOKENS, cacheWriteTokens: 0 });
  });

  it('separates thinking chunks from the answer', async () => {
    sim.enqueue({ kind: 'reply', usage: 'reasoning' });
    const result = await mistralAdapter.chat(creds(), hello({ model: 'magistral-medium-latest' }), callOptions());
    expect(result.content).toBe(REPLY);
    expect(result.reasoning).toBe(REASONING_TEXT);
    // Mistral bills thinking inside completion_tokens and gives no separate count.
    expect(result.usage).toMatchObject({ outputTokens: tokensFor(REPLY) + tokensFor(REASONING_TEXT), reasoningTokens: 0 });
  });

  it('treats an all-zero usage report as no usage', async () => {
    sim.enqueue({ kind: 'reply', omitUsage: true });
    expect((await mistralAdapter.chat(creds(), hello(), callOptions())).usage).toBeUndefined();
  });
});

describe('mistral adapter: streaming', () => {
  it('streams deltas in order with usage from the final chunk, then finish', async () => {
    sim.enqueue({ kind: 'reply', text: 'One two three four', chunkDelayMs: 5 });
    const { events, error } = await collect(mistralAdapter.chatStream(creds(), hello(), callOptions()));
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)).toEqual(['One', ' two', ' three', ' four']);
    expect(events.filter((e) => e.type === 'usage')).toHaveLength(1);
    expect(lastUsage(events)).toMatchObject({ inputTokens: tokensFor('Say hello'), outputTokens: tokensFor('One two three four') });
    expect(events.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', providerResponseId: expect.any(String) });
    expect(sim.requests[0]!.body).toMatchObject({ stream: true, safe_prompt: false });
    expect(sim.requests[0]!.headers.accept).toBe('text/event-stream');
  });

  it('streams thinking chunks as reasoning before the answer', async () => {
    sim.enqueue({ kind: 'reply', usage: 'reasoning' });
    const { events } = await collect(mistralAdapter.chatStream(creds(), hello({ model: 'magistral-small-latest' }), callOptions()));
    expect(reasoningOf(events)).toBe(REASONING_TEXT);
    expect(textOf(events)).toBe(REPLY);
    expect(events.findIndex((e) => e.type === 'reasoning')).toBeLessThan(events.findIndex((e) => e.type === 'delta'));
  });

  it('reports cached tokens in the stream usage', async () => {
    sim.enqueue({ kind: 'reply', usage: 'cached' });
    const { events } = await collect(mistralAdapter.chatStream(creds(), hello(), callOptions()));
    expect(lastUsage(events)).toMatchObject({ cacheReadTokens: CACHED_READ_TOKENS, inputTokens: tokensFor('Say hello') });
  });

  it('finishes with length when max_tokens cut the answer', async () => {
    const { events } = await collect(mistralAdapter.chatStream(creds(), hello({ max_tokens: 3 }), callOptions()));
    expect(events.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
  });

  it('streams without usage events when the provider sends none', async () => {
    sim.enqueue({ kind: 'reply', omitUsage: true });
    const { events, error } = await collect(mistralAdapter.chatStream(creds(), hello(), callOptions()));
    expect(error).toBeUndefined();
    expect(events.some((e) => e.type === 'usage')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('throws after the deltas already yielded when the connection is cut mid-stream', async () => {
    sim.enqueue({ kind: 'cut', afterChunks: 2 });
    const { events, error } = await collect(mistralAdapter.chatStream(creds(), hello(), callOptions()));
    expect(textOf(events)).toBe('Hello from');
    expect(error).toMatchObject({ kind: 'connection' });
    expect(events.some((e) => e.type === 'finish')).toBe(false);
  });

  it('fails before any event when the API rejects the stream request', async () => {
    sim.enqueue({ kind: 'error', status: 503 });
    const { events, error } = await collect(mistralAdapter.chatStream(creds(), hello(), callOptions()));
    expect(events).toHaveLength(0);
    expect(error).toMatchObject({ kind: 'upstream', status: 503, providerCode: 'service_unavailable' });
  });
});

describe('mistral adapter: errors', () => {
  it('maps the gateway 401 to authentication without echoing the key', async () => {
    const wrongKey = 'wrong-Zq8xY2kLmN4pQr7sTuVwXyZ0a1b2';
    const err = await failureOf(mistralAdapter.chat({ apiKey: wrongKey, baseUrl: sim.url }, hello(), callOptions()));
    expect(err).toMatchObject({ kind: 'authentication', status: 401, message: 'Unauthorized' });
    expect(err.message).not.toContain(wrongKey);
  });

  it('scrubs a key the provider echoes', async () => {
    sim.enqueue({ kind: 'error', status: 401, message: `Invalid key ${KEY} (${KEY.slice(0, 6)}****${KEY.slice(-4)})` });
    const err = await failureOf(mistralAdapter.chat(creds(), hello(), callOptions()));
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain(KEY.slice(-4));
    expect(err.message).toContain('[redacted]');
  });

  it('reads retry-after in seconds and as an HTTP date on 429', async () => {
    sim.enqueue({ kind: 'error', status: 429, retryAfter: '3' });
    const seconds = await failureOf(mistralAdapter.chat(creds(), hello(), callOptions()));
    expect(seconds).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 3000, providerCode: 'rate_limited', message: 'Rate limit exceeded' });

    sim.enqueue({ kind: 'error', status: 429, retryAfter: new Date(Date.now() + 20_000).toUTCString() });
    const date = await failureOf(mistralAdapter.chat(creds(), hello(), callOptions()));
    expect(date.retryAfterMs).toBeGreaterThan(15_000);
    expect(date.retryAfterMs).toBeLessThanOrEqual(20_000);
  });

  it.each([
    [400, 'bad_request', 'invalid_request_error'],
    [403, 'authentication', 'forbidden'],
    [404, 'bad_request', 'invalid_model'],
    [500, 'upstream', 'internal_server_error'],
    [503, 'upstream', 'service_unavailable'],
  ] as const)('maps HTTP %i to %s, calling the API once (SDK retries off)', async (status, kind, code) => {
    sim.enqueue({ kind: 'error', status });
    const err = await failureOf(mistralAdapter.chat(creds(), hello(), callOptions()));
    expect(err).toMatchObject({ kind, status, providerCode: code });
    expect(sim.requests).toHaveLength(1);
  });

  it('explains a 422 with the fields the API rejected', async () => {
    const err = await failureOf(mistralAdapter.chat(creds(), hello({ temperature: 2 }), callOptions()));
    expect(err).toMatchObject({ kind: 'bad_request', status: 422, providerCode: 'invalid_request_message_error' });
    expect(err.message).toBe('body.temperature: Input should be less than or equal to 1.5');
  });

  it('passes on the API rejecting a conversation that ends with the assistant', async () => {
    const err = await failureOf(mistralAdapter.chat(creds(), hello({
      messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }],
    }), callOptions()));
    expect(err).toMatchObject({ kind: 'bad_request', status: 400 });
    expect(err.message).toMatch(/Expected last role User or Tool/);
  });

  it('times out a request that never gets an answer', async () => {
    sim.enqueue({ kind: 'hang' });
    const err = await failureOf(mistralAdapter.chat(creds(), hello(), callOptions(300)));
    expect(err.kind).toBe('timeout');
  });

  it('times out a stream that stalls after it started', async () => {
    sim.enqueue({ kind: 'reply', chunkDelayMs: 400 });
    const { events, error } = await collect(mistralAdapter.chatStream(creds(), hello(), callOptions(600)));
    expect(events.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  it('reports cancelled when the caller aborts', async () => {
    sim.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failureOf(mistralAdapter.chat(creds(), hello(), callOptions(5000, controller.signal)));
    expect(err.kind).toBe('cancelled');
  });

  it('reports cancelled when the caller aborts a running stream', async () => {
    sim.enqueue({ kind: 'reply', chunkDelayMs: 200 });
    const controller = new AbortController();
    const events: unknown[] = [];
    const err = await (async () => {
      for await (const e of mistralAdapter.chatStream(creds(), hello(), callOptions(5000, controller.signal))) {
        events.push(e);
        controller.abort();
      }
    })().then(() => undefined, (e: unknown) => e);
    expect(events.length).toBeGreaterThan(0);
    expect(err).toMatchObject({ kind: 'cancelled' });
  });

  it('reports a dropped connection as a connection error, sent once', async () => {
    sim.enqueue({ kind: 'drop' });
    const err = await failureOf(mistralAdapter.chat(creds(), hello(), callOptions()));
    expect(err.kind).toBe('connection');
    expect(sim.requests).toHaveLength(1);
  });
});

describe('mistral adapter: base URL and connectivity', () => {
  it.each(['https://api.mistral.ai', 'https://api.eu.mistral.ai/', 'http://127.0.0.1:7000'])('accepts %s', (url) => {
    expect(mistralAdapter.checkBaseUrl(new URL(url))).toBeUndefined();
  });

  it.each([
    ['https://api.mistral.ai/v1', /host root.*\/v1\/chat\/completions/],
    ['ws://api.mistral.ai', /http or https/],
    ['https://u:p@api.mistral.ai', /credentials/],
  ])('rejects %s', (url, message) => {
    expect(mistralAdapter.checkBaseUrl(new URL(url))).toMatch(message);
  });

  it('proves a key by listing models', async () => {
    const result = await mistralAdapter.testConnection(creds(), callOptions());
    expect(result.probe).toBe('GET /v1/models');
    expect(sim.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(sim.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('fails the connectivity test on a wrong key', async () => {
    const err = await failureOf(mistralAdapter.testConnection({ apiKey: 'wrong', baseUrl: sim.url }, callOptions()));
    expect(err.kind).toBe('authentication');
  });
});
