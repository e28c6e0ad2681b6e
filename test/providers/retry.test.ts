import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { openaiAdapter } from '../../src/providers/openai/index.ts';
import { streamWithRetries, withRetries, type RetryInfo } from '../../src/providers/retry.ts';
import { ProviderError, type ProviderErrorKind, type StreamEvent } from '../../src/providers/types.ts';
import type { SimScript, Simulator } from '../simulators/base.ts';
import { startOpenAISimulator } from '../simulators/openai.ts';
import { callOptions, collect, textOf } from './streamCollector.ts';

const failure = (kind: ProviderErrorKind, retryAfterMs?: number) =>
  new ProviderError({ provider: 'openai', kind, message: kind, status: kind === 'rate_limited' ? 429 : 500, retryAfterMs });

/** An attempt function that fails with the given errors in turn, then succeeds. */
function scripted(...errors: ProviderError[]) {
  const calls: number[] = [];
  const fn = async (n: number) => {
    calls.push(n);
    const e = errors[calls.length - 1];
    if (e) throw e;
    return 'ok';
  };
  return { fn, calls };
}

const signal = () => new AbortController().signal;

describe('withRetries (fake clock)', () => {
  beforeEach(() => { jest.useFakeTimers(); jest.spyOn(Math, 'random').mockReturnValue(1); });
  afterEach(() => { jest.useRealTimers(); jest.restoreAllMocks(); });

  it('retries retryable failures with exponential backoff, then returns the result', async () => {
    const { fn, calls } = scripted(failure('upstream'), failure('connection'));
    const retries: RetryInfo[] = [];
    const p = withRetries(fn, { maxRetries: 3, signal: signal(), onRetry: (i) => retries.push(i) });
    await jest.advanceTimersByTimeAsync(249);
    expect(calls).toEqual([0]);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([0, 1]);
    await jest.advanceTimersByTimeAsync(500);
    await expect(p).resolves.toBe('ok');
    expect(calls).toEqual([0, 1, 2]);
    expect(retries.map((r) => [r.retry, r.delayMs, r.error.kind])).toEqual([[1, 250, 'upstream'], [2, 500, 'connection']]);
  });

  it('draws each wait uniformly below the backoff ceiling (full jitter)', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const { fn } = scripted(failure('overloaded'), failure('overloaded'));
    const delays: number[] = [];
    const p = withRetries(fn, { maxRetries: 2, signal: signal(), baseDelayMs: 100, onRetry: (i) => delays.push(i.delayMs) });
    await jest.advanceTimersByTimeAsync(1000);
    await expect(p).resolves.toBe('ok');
    expect(delays).toEqual([50, 100]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const { fn } = scripted(...Array.from({ length: 5 }, () => failure('upstream')));
    const delays: number[] = [];
    const p = withRetries(fn, { maxRetries: 5, signal: signal(), baseDelayMs: 250, maxDelayMs: 1000, onRetry: (i) => delays.push(i.delayMs) });
    await jest.advanceTimersByTimeAsync(10_000);
    await expect(p).resolves.toBe('ok');
    expect(delays).toEqual([250, 500, 1000, 1000, 1000]);
  });

  it('gives up after maxRetries and throws the last failure', async () => {
    const last = failure('upstream');
    const { fn, calls } = scripted(failure('upstream'), failure('upstream'), last, failure('upstream'));
    const p = withRetries(fn, { maxRetries: 2, signal: signal() });
    const settled = p.catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(await settled).toBe(last);
    expect(calls).toEqual([0, 1, 2]);
  });

  it.each<ProviderErrorKind>(['authentication', 'bad_request', 'timeout', 'cancelled', 'invalid_response'])(
    'does not retry %s failures', async (kind) => {
      const { fn, calls } = scripted(failure(kind));
      await expect(withRetries(fn, { maxRetries: 3, signal: signal() })).rejects.toMatchObject({ kind });
      expect(calls).toEqual([0]);
    });

  it('does not retry errors that are not provider errors', async () => {
    let calls = 0;
    const p = withRetries(async () => { calls++; throw new TypeError('bug'); }, { maxRetries: 3, signal: signal() });
    await expect(p).rejects.toThrow('bug');
    expect(calls).toBe(1);
  });

  it("waits at least the provider's retry-after", async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    const { fn, calls } = scripted(failure('rate_limited', 3000));
    const p = withRetries(fn, { maxRetries: 1, signal: signal() });
    await jest.advanceTimersByTimeAsync(2999);
    expect(calls).toEqual([0]);
    await jest.advanceTimersByTimeAsync(1);
    await expect(p).resolves.toBe('ok');
  });

  it('surfaces a 429 at once when its retry-after exceeds the cap, keeping retry-after for the client', async () => {
    const { fn, calls } = scripted(failure('rate_limited', 60_000));
    await expect(withRetries(fn, { maxRetries: 3, signal: signal(), maxDelayMs: 8000 })).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 60_000 });
    expect(calls).toEqual([0]);
  });

  it('stops waiting as soon as the caller aborts, and makes no further attempt', async () => {
    const controller = new AbortController();
    const { fn, calls } = scripted(failure('upstream'));
    const settled = withRetries(fn, { maxRetries: 3, signal: controller.signal, baseDelayMs: 5000 }).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(10);
    controller.abort();
    const err = await settled;
    expect(err).toMatchObject({ kind: 'cancelled', provider: 'openai' });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual([0]);
  });

  it('never retries more than ten times, whatever it is asked', async () => {
    const { fn, calls } = scripted(...Array.from({ length: 50 }, () => failure('upstream')));
    const settled = withRetries(fn, { maxRetries: 1000, signal: signal(), baseDelayMs: 1, maxDelayMs: 1 }).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(1000);
    expect(await settled).toMatchObject({ kind: 'upstream' });
    expect(calls).toHaveLength(11);
  });
});

async function* events(list: StreamEvent[], failAfter?: ProviderError): AsyncGenerator<StreamEvent> {
  for (const e of list) yield e;
  if (failAfter) throw failAfter;
}

describe('streamWithRetries (fake clock)', () => {
  beforeEach(() => { jest.useFakeTimers(); jest.spyOn(Math, 'random').mockReturnValue(1); });
  afterEach(() => { jest.useRealTimers(); jest.restoreAllMocks(); });

  it('retries a stream that fails before its first event', async () => {
    let opened = 0;
    const open = () => (++opened === 1 ? events([], failure('rate_limited', 100)) : events([{ type: 'delta', text: 'hi' }, { type: 'finish', finishReason: 'stop' }]));
    const done = collect(streamWithRetries(open, { maxRetries: 2, signal: signal() }));
    await jest.advanceTimersByTimeAsync(1000);
    const { events: got, error } = await done;
    expect(error).toBeUndefined();
    expect(got.map((e) => e.type)).toEqual(['delta', 'finish']);
    expect(opened).toBe(2);
  });

  it('never retries once an event was yielded', async () => {
    let opened = 0;
    const cut = failure('connection');
    const open = () => { opened++; return events([{ type: 'delta', text: 'Hel' }], cut); };
    const { events: got, error } = await collect(streamWithRetries(open, { maxRetries: 3, signal: signal() }));
    expect(got).toEqual([{ type: 'delta', text: 'Hel' }]);
    expect(error).toBe(cut);
    expect(opened).toBe(1);
  });

  it('closes the provider stream when the consumer stops early', async () => {
    let closed = false;
    async function* provider(): AsyncGenerator<StreamEvent> {
      try { yield { type: 'delta', text: 'a' }; yield { type: 'delta', text: 'b' }; yield { type: 'delta', text: 'c' }; }
      finally { closed = true; }
    }
    for await (const e of streamWithRetries(provider, { maxRetries: 1, signal: signal() })) {
      if (e.type === 'delta' && e.text === 'b') break;
    }
    expect(closed).toBe(true);
  });
});

describe('retries through a real simulator', () => {
  let sim: Simulator<SimScript>;
  beforeAll(async () => { sim = await startOpenAISimulator(); });
  afterAll(async () => { await sim.close(); });
  beforeEach(() => sim.reset());
  const creds = () => ({ apiKey: 'sk-proj-RetryTest0123456789abcdefXYZ', baseUrl: `${sim.url}/v1` });
  const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Say hello' }] };

  it('waits out a 429 with retry-after: 1 and then succeeds', async () => {
    sim.enqueue({ kind: 'error', status: 429, retryAfter: '1' });
    const started = Date.now();
    const retries: RetryInfo[] = [];
    const result = await withRetries(() => openaiAdapter.chat(creds(), request, callOptions()), {
      maxRetries: 2, signal: signal(), onRetry: (i) => retries.push(i),
    });
    expect(result.content).toBe('Hello from the openai simulator.');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(sim.requests).toHaveLength(2);
    expect(retries).toEqual([expect.objectContaining({ retry: 1, error: expect.objectContaining({ kind: 'rate_limited', retryAfterMs: 1000 }) })]);
  });

  it('retries a refused stream before its first event and streams the answer', async () => {
    sim.enqueue({ kind: 'error', status: 503 });
    const { events: got, error } = await collect(streamWithRetries(
      () => openaiAdapter.chatStream(creds(), request, callOptions()), { maxRetries: 1, signal: signal(), baseDelayMs: 10 }));
    expect(error).toBeUndefined();
    expect(textOf(got)).toBe('Hello from the openai simulator.');
    expect(sim.requests).toHaveLength(2);
  });

  it('does not retry a stream cut after its first delta', async () => {
    sim.enqueue({ kind: 'cut', afterChunks: 1 });
    const { events: got, error } = await collect(streamWithRetries(
      () => openaiAdapter.chatStream(creds(), request, callOptions()), { maxRetries: 3, signal: signal(), baseDelayMs: 10 }));
    expect(textOf(got)).toBe('Hello');
    expect(error).toMatchObject({ kind: 'connection' });
    expect(sim.requests).toHaveLength(1);
  });
});
