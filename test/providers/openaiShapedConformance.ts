import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ProviderError, type ChatRequest, type ProviderAdapter, type StreamEvent } from '../../src/providers/types.ts';
import type { SimScript, Simulator } from '../simulators/base.ts';
import { CACHED_READ_TOKENS, tokensFor } from '../simulators/replies.ts';
import { callOptions, collect, lastUsage, textOf } from './streamCollector.ts';

/**
 * The behaviour every OpenAI-shaped adapter (OpenAI, DeepSeek, Groq) must show against its
 * simulator through its real SDK: replies, streams, usage, and each failure mapped to its kind
 * with the key kept out of every message. Provider-specific mapping lives in each provider's test.
 */
export interface ConformanceSetup {
  adapter: ProviderAdapter;
  startSimulator(): Promise<Simulator<SimScript>>;
  /** A model the simulator accepts and that reports no reasoning by default. */
  model: string;
  apiKey: string;
  /** A key the simulator rejects (contains "wrong"), realistic enough to be echoed masked. */
  wrongKey: string;
  /** Base URL for the SDK, from the simulator's root URL. */
  baseUrl(simUrl: string): string;
  chatPath: string;
  modelsPath: string;
  probe: string;
}

export interface ConformanceContext {
  sim(): Simulator<SimScript>;
  creds(apiKey?: string): { apiKey: string; baseUrl: string };
  request(extra?: Partial<ChatRequest>): ChatRequest;
}

export async function failureOf(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** Checks neither the key nor a recognisable piece of it appears anywhere in an error. */
export function expectNoKeyIn(err: ProviderError, apiKey: string): void {
  const everything = `${err.message} ${JSON.stringify(err)} ${String(err.stack)}`;
  expect(everything).not.toContain(apiKey);
  expect(everything).not.toContain(apiKey.slice(0, 10));
  expect(everything).not.toContain(apiKey.slice(-4));
}

export function describeOpenAIShapedAdapter(s: ConformanceSetup): ConformanceContext {
  let sim: Simulator<SimScript>;
  const ctx: ConformanceContext = {
    sim: () => sim,
    creds: (apiKey = s.apiKey) => ({ apiKey, baseUrl: s.baseUrl(sim.url) }),
    request: (extra = {}) => ({ model: s.model, messages: [{ role: 'user', content: 'Say hello' }], ...extra }),
  };
  const name = s.adapter.name;
  const expectedText = `Hello from the ${name} simulator.`;

  beforeAll(async () => { sim = await s.startSimulator(); });
  afterAll(async () => { await sim.close(); });
  beforeEach(() => sim.reset());

  describe(`${name} adapter: replies`, () => {
    it('returns the text, finish reason, response id and usage of a plain chat', async () => {
      const result = await s.adapter.chat(ctx.creds(), ctx.request(), callOptions());
      expect(result.content).toBe(expectedText);
      expect(result.finishReason).toBe('stop');
      expect(result.providerResponseId).toEqual(expect.any(String));
      expect(result.usage).toMatchObject({
        inputTokens: tokensFor('Say hello'), cacheReadTokens: 0, cacheWriteTokens: 0,
        outputTokens: tokensFor(expectedText), reasoningTokens: 0, estimated: false,
      });
      const req = sim.requests[0]!;
      expect(req.method).toBe('POST');
      expect(req.path).toBe(s.chatPath);
      expect(req.headers.authorization).toBe(`Bearer ${s.apiKey}`);
      // The SDK's own retries are off: the gateway's retry policy is the only one.
      expect(req.headers['x-stainless-retry-count']).toBe('0');
      expect(req.body.stream).toBe(false);
      expect(req.body.stream_options).toBeUndefined();
    });

    it('splits cached prompt tokens out of the input count', async () => {
      sim.enqueue({ kind: 'reply', usage: 'cached' });
      const result = await s.adapter.chat(ctx.creds(), ctx.request(), callOptions());
      expect(result.usage).toMatchObject({ inputTokens: tokensFor('Say hello'), cacheReadTokens: CACHED_READ_TOKENS });
    });

    it('reports no usage when the provider sends none, so the caller can estimate', async () => {
      sim.enqueue({ kind: 'reply', omitUsage: true });
      const result = await s.adapter.chat(ctx.creds(), ctx.request(), callOptions());
      expect(result.content).toBe(expectedText);
      expect(result.usage).toBeUndefined();
    });

    it('maps a max-token cut-off to finish reason "length"', async () => {
      const result = await s.adapter.chat(ctx.creds(), ctx.request({ max_tokens: 2 }), callOptions());
      expect(result.finishReason).toBe('length');
      expect(result.content).toBe(expectedText.slice(0, 8));
    });
  });

  describe(`${name} adapter: streaming`, () => {
    it('yields deltas in order, then usage, then the finish event, asking for usage in the stream', async () => {
      const { events, error } = await collect(s.adapter.chatStream(ctx.creds(), ctx.request(), callOptions()));
      expect(error).toBeUndefined();
      expect(textOf(events)).toBe(expectedText);
      const deltas = events.filter((e) => e.type === 'delta');
      expect(deltas.length).toBeGreaterThan(2);
      const kinds = events.map((e) => e.type);
      expect(kinds.at(-1)).toBe('finish');
      expect(kinds.lastIndexOf('delta')).toBeLessThan(kinds.indexOf('usage'));
      expect(events.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', providerResponseId: expect.any(String) });
      expect(lastUsage(events)).toMatchObject({ inputTokens: tokensFor('Say hello'), outputTokens: tokensFor(expectedText), estimated: false });
      expect(sim.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    });

    it('delivers each delta as it arrives, not all at the end', async () => {
      sim.enqueue({ kind: 'reply', chunkDelayMs: 80 });
      const stamps: Array<{ t: number; e: StreamEvent }> = [];
      for await (const e of s.adapter.chatStream(ctx.creds(), ctx.request(), callOptions())) stamps.push({ t: Date.now(), e });
      const deltas = stamps.filter((x) => x.e.type === 'delta');
      expect(deltas.at(-1)!.t - deltas[0]!.t).toBeGreaterThanOrEqual(150);
    });

    it('reports cached tokens in stream usage', async () => {
      sim.enqueue({ kind: 'reply', usage: 'cached' });
      const { events } = await collect(s.adapter.chatStream(ctx.creds(), ctx.request(), callOptions()));
      expect(lastUsage(events)).toMatchObject({ inputTokens: tokensFor('Say hello'), cacheReadTokens: CACHED_READ_TOKENS });
    });

    it('finishes without a usage event when the provider sends none', async () => {
      sim.enqueue({ kind: 'reply', omitUsage: true });
      const { events, error } = await collect(s.adapter.chatStream(ctx.creds(), ctx.request(), callOptions()));
      expect(error).toBeUndefined();
      expect(events.some((e) => e.type === 'usage')).toBe(false);
      expect(events.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
    });

    it('throws a connection error after the deltas already yielded when the stream is cut', async () => {
      sim.enqueue({ kind: 'cut', afterChunks: 2 });
      const { events, error } = await collect(s.adapter.chatStream(ctx.creds(), ctx.request(), callOptions()));
      expect(textOf(events)).toBe('Hello from');
      expect(events.some((e) => e.type === 'finish')).toBe(false);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind).toBe('connection');
    });

    it('fails with the provider error before any event when the stream request is refused', async () => {
      sim.enqueue({ kind: 'error', status: 429, retryAfter: '3' });
      const { events, error } = await collect(s.adapter.chatStream(ctx.creds(), ctx.request(), callOptions()));
      expect(events).toEqual([]);
      expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 3000 });
    });

    it('reports "cancelled" when the caller aborts mid-stream, never a quiet success', async () => {
      sim.enqueue({ kind: 'reply', chunkDelayMs: 100 });
      const controller = new AbortController();
      const events: StreamEvent[] = [];
      let error: unknown;
      try {
        for await (const e of s.adapter.chatStream(ctx.creds(), ctx.request(), callOptions(5000, controller.signal))) {
          events.push(e);
          if (e.type === 'delta') controller.abort();
        }
      } catch (err) { error = err; }
      expect(events.filter((e) => e.type === 'delta')).toHaveLength(1);
      expect(error).toMatchObject({ kind: 'cancelled' });
    });

    it('reports "timeout" when a stream stalls past the call budget after it started', async () => {
      sim.enqueue({ kind: 'reply', chunkDelayMs: 400 });
      const { events, error } = await collect(s.adapter.chatStream(ctx.creds(), ctx.request(), callOptions(300)));
      expect(events.some((e) => e.type === 'finish')).toBe(false);
      expect(error).toMatchObject({ kind: 'timeout' });
    });
  });

  describe(`${name} adapter: failures`, () => {
    it('maps a rejected key to "authentication" and keeps every piece of the key out of the error', async () => {
      const err = await failureOf(s.adapter.chat(ctx.creds(s.wrongKey), ctx.request(), callOptions()));
      expect(err).toMatchObject({ provider: name, kind: 'authentication', status: 401, retryable: false });
      expect(err.message.length).toBeGreaterThan(0);
      expectNoKeyIn(err, s.wrongKey);
    });

    it('maps 403 to "authentication" and 400/404 to "bad_request"', async () => {
      sim.enqueue({ kind: 'error', status: 403 }, { kind: 'error', status: 400 }, { kind: 'error', status: 404 });
      expect(await failureOf(s.adapter.chat(ctx.creds(), ctx.request(), callOptions()))).toMatchObject({ kind: 'authentication', status: 403 });
      expect(await failureOf(s.adapter.chat(ctx.creds(), ctx.request(), callOptions()))).toMatchObject({ kind: 'bad_request', status: 400 });
      expect(await failureOf(s.adapter.chat(ctx.creds(), ctx.request(), callOptions()))).toMatchObject({ kind: 'bad_request', status: 404 });
    });

    it('maps 429 to "rate_limited" with retry-after in seconds', async () => {
      sim.enqueue({ kind: 'error', status: 429, retryAfter: '7' });
      const err = await failureOf(s.adapter.chat(ctx.creds(), ctx.request(), callOptions()));
      expect(err).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 7000, retryable: true });
      expect(err.providerCode).toEqual(expect.any(String));
      expect(sim.requests).toHaveLength(1);
    });

    it('maps 429 with retry-after as an HTTP date', async () => {
      const at = new Date(Date.now() + 30_000).toUTCString();
      sim.enqueue({ kind: 'error', status: 429, retryAfter: at });
      const err = await failureOf(s.adapter.chat(ctx.creds(), ctx.request(), callOptions()));
      expect(err.retryAfterMs).toBeGreaterThan(25_000);
      expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
    });

    it('maps 500 and 503 to "upstream", retryable, without retrying inside the SDK', async () => {
      sim.enqueue({ kind: 'error', status: 500 }, { kind: 'error', status: 503 });
      expect(await failureOf(s.adapter.chat(ctx.creds(), ctx.request(), callOptions()))).toMatchObject({ kind: 'upstream', status: 500, retryable: true });
      expect(await failureOf(s.adapter.chat(ctx.creds(), ctx.request(), callOptions()))).toMatchObject({ kind: 'upstream', status: 503 });
      expect(sim.requests).toHaveLength(2);
    });

    it('maps a hung request past timeoutMs to "timeout"', async () => {
      sim.enqueue({ kind: 'hang' });
      const started = Date.now();
      const err = await failureOf(s.adapter.chat(ctx.creds(), ctx.request(), callOptions(250)));
      expect(err.kind).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('maps the caller aborting to "cancelled"', async () => {
      sim.enqueue({ kind: 'hang' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const err = await failureOf(s.adapter.chat(ctx.creds(), ctx.request(), callOptions(10_000, controller.signal)));
      expect(err.kind).toBe('cancelled');
    });

    it('maps a dropped connection to "connection"', async () => {
      sim.enqueue({ kind: 'drop' });
      const err = await failureOf(s.adapter.chat(ctx.creds(), ctx.request(), callOptions()));
      expect(err).toMatchObject({ kind: 'connection', retryable: true });
      expect(sim.requests).toHaveLength(1);
    });

    it('maps an unreachable host to "connection"', async () => {
      const err = await failureOf(s.adapter.chat({ apiKey: s.apiKey, baseUrl: s.baseUrl('http://127.0.0.1:9') }, ctx.request(), callOptions()));
      expect(err.kind).toBe('connection');
    });
  });

  describe(`${name} adapter: connection test`, () => {
    it('lists models as the minimal real request', async () => {
      expect(await s.adapter.testConnection(ctx.creds(), callOptions())).toEqual({ probe: s.probe });
      expect(sim.requests[0]).toMatchObject({ method: 'GET', path: s.modelsPath });
      expect(sim.requests[0]!.headers.authorization).toBe(`Bearer ${s.apiKey}`);
    });

    it('fails with "authentication" for a rejected key, key scrubbed', async () => {
      const err = await failureOf(s.adapter.testConnection(ctx.creds(s.wrongKey), callOptions()));
      expect(err).toMatchObject({ kind: 'authentication', status: 401 });
      expectNoKeyIn(err, s.wrongKey);
    });
  });

  return ctx;
}
