import { ADMIN_TOKEN, call } from '../support/http.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { eventually, readSse } from '../support/sse.ts';
import { providerFixtures } from '../simulators/index.ts';
import type { SimScript, Simulator } from '../simulators/base.ts';
import { defaultText, REASONING_TEXT } from '../simulators/replies.ts';

/**
 * Chat through the gateway's public HTTP API to each provider's official SDK and on to a local
 * simulator of that provider's wire format: mapping, usage, cost, streaming and every fault.
 */
describe.each(providerFixtures)('chat via $provider', (fx) => {
  let gw: TestGateway;
  let sim: Simulator<SimScript>;
  let projectId: string;
  let token: string;
  let apiKey: string;
  const admin = { token: ADMIN_TOKEN };
  const messages = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello.' },
  ];

  beforeAll(async () => {
    sim = await fx.start();
    gw = await startTestGateway({ env: { ADMIN_TOKEN, UPSTREAM_MAX_RETRIES: '1', UPSTREAM_TIMEOUT_MS: '1500' } });
    projectId = (await call(gw.url, 'POST', '/projects', { ...admin, body: { name: fx.provider } })).json.id;
    token = (await call(gw.url, 'POST', `/projects/${projectId}/tokens`, { ...admin, body: { name: 'dash' } })).json.token;
    apiKey = (await call(gw.url, 'POST', `/projects/${projectId}/api-keys`, { ...admin, body: { name: 'app' } })).json.key;
    const set = await call(gw.url, 'POST', `/projects/${projectId}/ai/providers`, {
      token, body: { provider: fx.provider, api_key: `test-${fx.provider}-key-0123456789abcdef`, base_url: fx.baseUrl(sim) },
    });
    expect(set.status).toBe(201);
  });
  afterAll(async () => {
    await gw?.dispose();
    await sim?.close();
  });
  beforeEach(() => sim.reset());

  const usageRow = (id: string) => eventually(async () => {
    const usage = await call(gw.url, 'GET', `/projects/${projectId}/ai/usage?recent=500`, { token });
    const row = usage.json.recent_logs.find((l: any) => l.id === id && l.status !== 'requested');
    return row;
  }, 5000, `usage row of ${id}`);

  const lastUsageRow = async () => {
    const usage = await call(gw.url, 'GET', `/projects/${projectId}/ai/usage?recent=1`, { token });
    return usage.json.recent_logs[0];
  };
  /**
   * For responses that carry no completion id (errors): the row of the request sent after
   * `before` (the newest row's id then), once its outcome is `status`. Requests here run one at
   * a time, so the newest row that is not `before` is that request's.
   */
  const nextUsageRow = (before: string | undefined, status: string) => eventually(async () => {
    const r = await lastUsageRow();
    return r && r.id !== before && r.status === status ? r : undefined;
  }, 5000, `a new ${status} usage row`);
  const newestId = async (): Promise<string | undefined> => (await lastUsageRow())?.id;

  test('plain chat: mapped request, normalized response, usage, cost, overhead header', async () => {
    const res = await call(gw.url, 'POST', `/projects/${projectId}/ai/chat`, {
      token, body: { model: fx.model, messages, temperature: 0.3, max_tokens: 64 },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      content: defaultText(fx.provider),
      model: fx.model,
      provider: fx.provider,
      finish_reason: 'stop',
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), estimated: false },
      latency_ms: expect.any(Number),
    });
    expect(res.json.usage.prompt_tokens).toBeGreaterThan(0);
    expect(res.json.usage.completion_tokens).toBeGreaterThan(0);
    expect(res.json.usage.total_tokens).toBe(res.json.usage.prompt_tokens + res.json.usage.completion_tokens);
    expect(typeof res.json.cost_usd).toBe('number');
    expect(res.json.cost_usd).toBeGreaterThan(0);
    expect(Number(res.headers.get('x-gateway-overhead-ms'))).toBeGreaterThanOrEqual(0);

    expect(sim.requests).toHaveLength(1);
    const req = sim.requests[0]!;
    expect(req.path).toMatch(fx.chatPath);
    expect(fx.mapped(req)).toEqual({ system: 'You are terse.', temperature: 0.3, maxTokens: 64 });
    expect(JSON.stringify(req.body)).toContain('Say hello.');

    const row = await usageRow(res.json.id);
    expect(row).toMatchObject({ status: 'succeeded', source: 'dashboard', provider: fx.provider, prompt_tokens: res.json.usage.prompt_tokens, completion_tokens: res.json.usage.completion_tokens });
    expect(row.cost_usd).toBeCloseTo(res.json.cost_usd, 9);
  });

  test('a rotated or removed provider key takes effect on the very next request', async () => {
    const p = (await call(gw.url, 'POST', '/projects', { ...admin, body: { name: 'rotation' } })).json.id;
    const first = `first-${fx.provider}-0123456789abcdef`;
    const second = `second-${fx.provider}-0123456789abcdef`;
    const sentKey = () => {
      const h = sim.requests.at(-1)!.headers;
      return String(h['x-api-key'] ?? h['x-goog-api-key'] ?? h.authorization);
    };
    const chatOnce = () => call(gw.url, 'POST', `/projects/${p}/ai/chat`, { ...admin, body: { model: fx.model, messages } });
    await call(gw.url, 'POST', `/projects/${p}/ai/providers`, { ...admin, body: { provider: fx.provider, api_key: first, base_url: fx.baseUrl(sim) } });
    expect((await chatOnce()).status).toBe(200);
    expect(sentKey()).toContain(first);
    await call(gw.url, 'POST', `/projects/${p}/ai/providers`, { ...admin, body: { provider: fx.provider, api_key: second, base_url: fx.baseUrl(sim) } });
    expect((await chatOnce()).status).toBe(200);
    expect(sentKey()).toContain(second);
    await call(gw.url, 'DELETE', `/projects/${p}/ai/providers/${fx.provider}`, admin);
    const after = await chatOnce();
    expect(after.status).toBe(400);
    expect(after.json.error.message).toMatch(/no .* key is configured/);
  });

  test('public route with x-api-key records the key as the source', async () => {
    const res = await call(gw.url, 'POST', '/api/ai/chat', { apiKey, body: { model: fx.model, messages: [{ role: 'user', content: 'Hello!' }] } });
    expect(res.status).toBe(200);
    expect(res.json.content).toBe(defaultText(fx.provider));
    expect(await usageRow(res.json.id)).toMatchObject({ status: 'succeeded', source: 'public' });
  });

  test('streaming: deltas as SSE, then a done frame with usage', async () => {
    const res = await fetch(`${gw.url}/api/ai/chat/stream`, {
      method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model: fx.model, messages, max_tokens: 50 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-gateway-overhead-ms')).not.toBeNull();
    const { frames } = await readSse(res);
    const chunks = frames.filter((f) => 'chunk' in f);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((c) => c.chunk).join('')).toBe(defaultText(fx.provider));
    for (const c of chunks) expect(typeof c.elapsed_ms).toBe('number');
    const done = frames.at(-1);
    expect(done).toMatchObject({ done: true, provider: fx.provider, finish_reason: 'stop', estimated: false });
    expect(done.ttft_ms).toEqual(expect.any(Number));
    expect(done.total_tokens).toBe(done.prompt_tokens + done.completion_tokens);
    expect(done.completion_tokens).toBeGreaterThan(0);
    const row = await usageRow(done.id);
    expect(row).toMatchObject({ status: 'succeeded', prompt_tokens: done.prompt_tokens, completion_tokens: done.completion_tokens, estimated: false });
  });

  // Only providers with a prompt cache report cached tokens (Mistral has none).
  if (fx.supports.cached) test('streaming usage keeps cached prompt tokens apart', async () => {
    sim.enqueue({ kind: 'reply', usage: 'cached' });
    const res = await fetch(`${gw.url}/projects/${projectId}/ai/chat/stream`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: fx.model, messages }),
    });
    const { frames } = await readSse(res);
    const done = frames.at(-1);
    expect(done.done).toBe(true);
    expect(done.cache_read_tokens).toBeGreaterThan(0);
    expect(done.prompt_tokens).toBeGreaterThanOrEqual(done.cache_read_tokens);
  });

  if (fx.reasoning) test('reasoning: tokens counted apart, reasoning text never mixed into content', async () => {
    const model = fx.reasoning!.model;
    sim.enqueue({ kind: 'reply', usage: 'reasoning' });
    const res = await call(gw.url, 'POST', `/projects/${projectId}/ai/chat`, { token, body: { model, messages: [{ role: 'user', content: 'Think, then greet.' }] } });
    expect(res.status).toBe(200);
    expect(res.json.content).toBe(defaultText(fx.provider));
    expect(res.json.usage.reasoning_tokens).toBeGreaterThan(0);
    expect(res.json.usage.completion_tokens).toBeGreaterThanOrEqual(res.json.usage.reasoning_tokens);
    if (fx.reasoning!.text) expect(res.json.reasoning).toBe(REASONING_TEXT);
    else expect(res.json.reasoning).toBeUndefined();

    sim.enqueue({ kind: 'reply', usage: 'reasoning' });
    const streamed = await fetch(`${gw.url}/projects/${projectId}/ai/chat/stream`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Think, then greet.' }] }),
    });
    const { frames } = await readSse(streamed);
    expect(frames.filter((f) => 'chunk' in f).map((f) => f.chunk).join('')).toBe(defaultText(fx.provider));
    if (fx.reasoning!.text) expect(frames.filter((f) => 'reasoning' in f).map((f) => f.reasoning).join('')).toBe(REASONING_TEXT);
    expect(frames.at(-1).reasoning_tokens).toBeGreaterThan(0);
  });

  test('no usage from the provider: counted with a tokenizer and marked estimated', async () => {
    sim.enqueue({ kind: 'reply', omitUsage: true });
    const res = await fetch(`${gw.url}/projects/${projectId}/ai/chat/stream`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: fx.model, messages }),
    });
    const { frames } = await readSse(res);
    const done = frames.at(-1);
    expect(done).toMatchObject({ done: true, estimated: true });
    expect(done.prompt_tokens).toBeGreaterThan(0);
    expect(done.completion_tokens).toBeGreaterThan(0);
  });

  test('a wrong provider key: normalized 502 naming the fix, failure recorded', async () => {
    const p = (await call(gw.url, 'POST', '/projects', { ...admin, body: { name: 'wrong key' } })).json.id;
    await call(gw.url, 'POST', `/projects/${p}/ai/providers`, { ...admin, body: { provider: fx.provider, api_key: 'wrong-key-0123456789abcdef', base_url: fx.baseUrl(sim) } });
    const res = await call(gw.url, 'POST', `/projects/${p}/ai/chat`, { ...admin, body: { model: fx.model, messages } });
    expect(res.status).toBe(502);
    expect(res.json.error.code).toBe('provider_authentication_failed');
    expect(res.json.error.details).toMatchObject({ provider: fx.provider, kind: 'authentication' });
    expect(res.text).not.toContain('wrong-key-0123456789abcdef');
    expect(Number(res.headers.get('x-gateway-overhead-ms'))).toBeGreaterThanOrEqual(0);
    const usage = await eventually(async () => {
      const u = await call(gw.url, 'GET', `/projects/${p}/ai/usage`, admin);
      return u.json.recent_logs[0]?.status === 'failed' ? u.json.recent_logs[0] : undefined;
    });
    expect(usage.error).toBe('authentication');
  });

  test('429 with retry-after: retried once, then forwarded with retry-after', async () => {
    sim.enqueue({ kind: 'error', status: 429, retryAfter: '1', retryDelaySeconds: 1 }, { kind: 'error', status: 429, retryAfter: '7', retryDelaySeconds: 7 });
    const started = Date.now();
    const res = await call(gw.url, 'POST', `/projects/${projectId}/ai/chat`, { token, body: { model: fx.model, messages } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.json.error.code).toBe('provider_rate_limited');
    expect(sim.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  test('a 5xx is retried; success on the second attempt', async () => {
    sim.enqueue({ kind: 'error', status: 500 });
    const res = await call(gw.url, 'POST', `/projects/${projectId}/ai/chat`, { token, body: { model: fx.model, messages } });
    expect(res.status).toBe(200);
    expect(sim.requests).toHaveLength(2);
  });

  test('5xx twice: 502 with the provider message kept in details', async () => {
    sim.enqueue({ kind: 'error', status: 500 }, { kind: 'error', status: 500 });
    const before = await newestId();
    const res = await call(gw.url, 'POST', `/projects/${projectId}/ai/chat`, { token, body: { model: fx.model, messages } });
    expect(res.status).toBe(502);
    expect(res.json.error.code).toBe('provider_error');
    expect(res.json.error.details.provider_status).toBe(500);
    expect((await nextUsageRow(before, 'failed')).error).toBe('upstream');
  });

  test('an upstream that never answers: 504', async () => {
    sim.enqueue({ kind: 'hang' }, { kind: 'hang' });
    const res = await call(gw.url, 'POST', `/projects/${projectId}/ai/chat`, { token, body: { model: fx.model, messages } });
    expect(res.status).toBe(504);
    expect(res.json.error.code).toBe('provider_timeout');
  });

  test('a stream cut mid-way ends with an error frame after the chunks already sent', async () => {
    sim.enqueue({ kind: 'cut', afterChunks: 2 });
    const before = await newestId();
    const res = await fetch(`${gw.url}/projects/${projectId}/ai/chat/stream`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: fx.model, messages }),
    });
    expect(res.status).toBe(200);
    const { frames } = await readSse(res);
    expect(frames.filter((f) => 'chunk' in f).length).toBeGreaterThanOrEqual(1);
    expect(frames.at(-1).error).toMatchObject({ code: expect.stringMatching(/^provider_/) });
    expect(sim.requests).toHaveLength(1); // never retried once streaming began
    const row = await nextUsageRow(before, 'failed');
    expect(row.estimated).toBe(true);
  });

  test('the usage read model equals a rebuild from the log', async () => {
    const comparison = await gw.gateway.projections.compareWithRebuild('usage');
    expect(comparison.equal).toBe(true);
  });

  test('a client that disconnects mid-stream aborts the upstream call; the completion is recorded cancelled', async () => {
    sim.enqueue({ kind: 'reply', text: 'one two three four five six seven eight nine ten', chunkDelayMs: 250 });
    const controller = new AbortController();
    const before = await newestId();
    const res = await fetch(`${gw.url}/projects/${projectId}/ai/chat/stream`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: fx.model, messages }), signal: controller.signal,
    });
    await readSse(res, (frame) => ('chunk' in frame ? true : undefined)).catch(() => undefined);
    controller.abort();
    await eventually(async () => (sim.clientAborts > 0 ? true : undefined), 2000, 'the upstream request to be aborted');
    const row = await nextUsageRow(before, 'cancelled');
    expect(row.error).toBe('cancelled');
  });
});
