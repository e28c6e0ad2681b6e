import { sql } from 'kysely';
import { ADMIN_TOKEN, call } from '../support/http.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { providerFixtures } from '../simulators/index.ts';
import type { SimScript, Simulator } from '../simulators/base.ts';

/** Bring-your-own-key through the API: set, list, test, rotate and remove for every provider. */
describe('provider keys', () => {
  let gw: TestGateway;
  const sims = new Map<string, Simulator<SimScript>>();
  const admin = { token: ADMIN_TOKEN };
  const responses: string[] = [];
  const planted = (provider: string, n: number) => `plantedkey-${provider}-${n}-ZQXJ0123456789abcdef`;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { ADMIN_TOKEN } });
    for (const fx of providerFixtures) sims.set(fx.provider, await fx.start());
  });
  afterAll(async () => {
    await gw?.dispose();
    for (const s of sims.values()) await s.close();
  });

  const project = async () => (await call(gw.url, 'POST', '/projects', { ...admin, body: { name: 'byok' } })).json.id as string;
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await call(gw.url, method, path, { ...admin, body });
    responses.push(res.text, JSON.stringify(Object.fromEntries(res.headers)));
    return res;
  };

  test.each(providerFixtures)('$provider: set, list masked, test, rotate, remove', async (fx) => {
    const p = await project();
    const sim = sims.get(fx.provider)!;
    const first = planted(fx.provider, 1);
    const set = await send('POST', `/projects/${p}/ai/providers`, { provider: fx.provider, api_key: first, base_url: fx.baseUrl(sim) });
    expect(set.status).toBe(201);
    expect(set.json).toMatchObject({ provider: fx.provider, key: '...cdef', base_url: fx.baseUrl(sim), set_by: 'admin', last_test: null });
    expect(set.json.fingerprint).toMatch(/^[0-9a-f]{16,}$/);

    const tested = await send('POST', `/projects/${p}/ai/providers/${fx.provider}/test`);
    expect(tested.status).toBe(200);
    expect(tested.json).toMatchObject({ provider: fx.provider, ok: true, error: null });
    expect(tested.json.latency_ms).toEqual(expect.any(Number));
    expect(sim.requests.at(-1)!.headers['x-api-key'] ?? sim.requests.at(-1)!.headers['x-goog-api-key'] ?? sim.requests.at(-1)!.headers.authorization).toContain(first);

    const listed = await send('GET', `/projects/${p}/ai/providers`);
    expect(listed.json.providers).toEqual([expect.objectContaining({ provider: fx.provider, last_test: expect.objectContaining({ ok: true }) })]);

    // Rotation: a new key replaces the old one, whose data key is destroyed.
    const second = planted(fx.provider, 2);
    const rotated = await send('POST', `/projects/${p}/ai/providers`, { provider: fx.provider, api_key: second, base_url: fx.baseUrl(sim) });
    expect(rotated.status).toBe(201);
    expect(rotated.json.fingerprint).not.toBe(set.json.fingerprint);
    expect(rotated.json.last_test).toBeNull();

    // A wrong key: the provider's refusal, normalized, recorded as the last test.
    const wrong = `wrong-${planted(fx.provider, 3)}`;
    await send('POST', `/projects/${p}/ai/providers`, { provider: fx.provider, api_key: wrong, base_url: fx.baseUrl(sim) });
    const failed = await send('POST', `/projects/${p}/ai/providers/${fx.provider}/test`);
    expect(failed.status).toBe(200);
    expect(failed.json).toMatchObject({ ok: false, error: { kind: 'authentication' } });
    expect(failed.text).not.toContain(wrong);

    const removed = await send('DELETE', `/projects/${p}/ai/providers/${fx.provider}`);
    expect(removed.status).toBe(204);
    expect((await send('GET', `/projects/${p}/ai/providers`)).json.providers).toEqual([]);
    expect((await send('POST', `/projects/${p}/ai/providers/${fx.provider}/test`)).status).toBe(404);
    expect((await send('DELETE', `/projects/${p}/ai/providers/${fx.provider}`)).status).toBe(404);

    const audit = await send('GET', `/projects/${p}/audit?stream=${encodeURIComponent(`providerKey-${p}-${fx.provider}`)}`);
    expect(audit.json.entries.map((e: any) => e.type)).toEqual([
      'ProviderKeySet', 'ProviderKeyTested', 'ProviderKeySet', 'ProviderKeySet', 'ProviderKeyTested', 'ProviderKeyRemoved',
    ]);
    expect(audit.text).not.toMatch(/ciphertext/);
  });

  test('removed and replaced keys are crypto-shredded: their data keys are gone', async () => {
    const db = gw.gateway.database.db;
    const rows = await sql<{ live: string; destroyed: string }>`
      select count(*) filter (where destroyed_at is null) as live, count(*) filter (where destroyed_at is not null) as destroyed
      from crypto_data_keys`.execute(db);
    // Every provider key above was removed in the end: no live data key is left for any of them.
    const { live, destroyed } = rows.rows[0]!;
    expect(Number(destroyed)).toBeGreaterThanOrEqual(providerFixtures.length * 3);
    const referenced = await sql<{ n: string }>`select count(*) as n from rm_provider_keys`.execute(db);
    expect(Number(live)).toBeLessThanOrEqual(Number(referenced.rows[0]!.n));
  });

  test('bad input: unknown provider, bad base URLs, short keys', async () => {
    const p = await project();
    const unknown = await send('POST', `/projects/${p}/ai/providers`, { provider: 'acme', api_key: 'sk-0123456789abcdef' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.details.issues[0].path).toBe('body.provider');
    const short = await send('POST', `/projects/${p}/ai/providers`, { provider: 'openai', api_key: 'sk' });
    expect(short.json.error.details.issues[0].path).toBe('body.api_key');
    const ftp = await send('POST', `/projects/${p}/ai/providers`, { provider: 'openai', api_key: 'sk-0123456789abcdef', base_url: 'ftp://example.test/v1' });
    expect(ftp.status).toBe(400);
    expect(ftp.json.error.message).toMatch(/base_url/);
    const anthropicPath = await send('POST', `/projects/${p}/ai/providers`, { provider: 'anthropic', api_key: 'sk-ant-0123456789abcdef', base_url: 'http://127.0.0.1:9/v1' });
    expect(anthropicPath.status).toBe(400);
    expect(anthropicPath.json.error.message).toMatch(/base_url/);
    const notUrl = await send('POST', `/projects/${p}/ai/providers`, { provider: 'groq', api_key: 'gsk_0123456789abcdef', base_url: 'not a url' });
    expect(notUrl.status).toBe(400);
    expect((await send('POST', `/projects/${p}/ai/providers/acme/test`)).status).toBe(400);
  });

  test('every read model equals a rebuild from the log', async () => {
    for (const name of ['projects', 'credentials', 'audit', 'providers']) {
      const comparison = await gw.gateway.projections.compareWithRebuild(name);
      expect({ name, equal: comparison.equal, tables: comparison.tables }).toEqual({ name, equal: true, tables: expect.any(Array) });
    }
  });

  test('planted keys appear in no response, log line, event or read model', async () => {
    const db = gw.gateway.database.db;
    const needles = providerFixtures.flatMap((fx) => [planted(fx.provider, 1), planted(fx.provider, 2), planted(fx.provider, 3)]);
    const events = await sql<{ t: string }>`select data::text || metadata::text as t from es_events`.execute(db);
    const tables = await sql<{ t: string }>`
      select (select coalesce(string_agg(r::text, ''), '') from rm_provider_keys r)
          || (select coalesce(string_agg(a::text, ''), '') from rm_audit a)
          || (select coalesce(string_agg(k::text, ''), '') from crypto_data_keys k) as t`.execute(db);
    const haystacks = [...responses, ...gw.logs, ...events.rows.map((r) => r.t), tables.rows[0]!.t];
    expect(events.rows.length).toBeGreaterThan(20);
    for (const needle of needles) {
      for (const hay of haystacks) {
        // The distinctive middle of each key must not appear either (partial echoes).
        expect(hay.includes(needle) || hay.includes(needle.slice(4, 24))).toBe(false);
      }
    }
  });
});
