import { startTestGateway, type TestGateway } from '../support/gateway.ts';

describe('HTTP foundation', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway(); });
  afterAll(async () => { await gw.dispose(); });

  test('GET /health answers 200 with a request id', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(res.headers.get('x-gateway-overhead-ms'))).toBeGreaterThanOrEqual(0);
  });

  test('GET /ready reports the database and migrations', async () => {
    const res = await fetch(`${gw.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: gw.backend });
  });

  test('a safe incoming request id is echoed, an unsafe one replaced', async () => {
    const ok = await fetch(`${gw.url}/health`, { headers: { 'x-request-id': 'abc-123' } });
    expect(ok.headers.get('x-request-id')).toBe('abc-123');
    const bad = await fetch(`${gw.url}/health`, { headers: { 'x-request-id': 'a b\tc<script>' } });
    expect(bad.headers.get('x-request-id')).not.toContain('script');
  });

  test('unknown route: 404 in the envelope', async () => {
    const res = await fetch(`${gw.url}/no/such/route`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /no/such/route' } });
  });

  test('malformed JSON: 400 invalid_json, no stack, no 500', async () => {
    const res = await fetch(`${gw.url}/health`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a": ' });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toEqual({ error: { code: 'invalid_json', message: 'request body is not valid JSON' } });
    expect(gw.logs.join('\n')).not.toMatch(/"status":500/);
  });

  test('oversize body: 413 in the envelope', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(1_100_000) });
    const res = await fetch(`${gw.url}/health`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe('payload_too_large');
  });

  test('non-JSON body: 415', async () => {
    const res = await fetch(`${gw.url}/health`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as any).error.code).toBe('unsupported_media_type');
  });

  test('wrong method on a known route: 405 in the envelope', async () => {
    const res = await fetch(`${gw.url}/health`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(((await res.json()) as any).error.code).toBe('method_not_allowed');
  });
});
