import { ADMIN_TOKEN, call } from '../support/http.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

describe('projects, dashboard tokens and API keys', () => {
  let gw: TestGateway;
  const admin = { token: ADMIN_TOKEN };
  beforeAll(async () => { gw = await startTestGateway({ env: { ADMIN_TOKEN } }); });
  afterAll(async () => { await gw.dispose(); });

  const createProject = async (name: string) => {
    const res = await call(gw.url, 'POST', '/projects', { ...admin, body: { name } });
    expect(res.status).toBe(201);
    return res.json as { id: string; name: string; created_at: string };
  };

  test('the admin creates and lists projects', async () => {
    const p = await createProject('Alpha');
    expect(p).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Alpha', created_at: expect.any(String), store_content: false });
    const list = await call(gw.url, 'GET', '/projects', admin);
    expect(list.status).toBe(200);
    expect(list.json.projects.map((x: any) => x.id)).toContain(p.id);
  });

  test('admin routes refuse missing or wrong tokens', async () => {
    expect((await call(gw.url, 'POST', '/projects', { body: { name: 'x' } })).status).toBe(401);
    const wrong = await call(gw.url, 'GET', '/projects', { token: 'za_wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('unauthorized');
  });

  test('bad input: wrong types, unknown fields and empty names name the path', async () => {
    const wrongType = await call(gw.url, 'POST', '/projects', { ...admin, body: { name: 42 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error.code).toBe('validation_error');
    expect(wrongType.json.error.details.issues[0].path).toBe('body.name');
    const unknown = await call(gw.url, 'POST', '/projects', { ...admin, body: { name: 'ok', owner: 'me' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toMatch(/owner/);
    const empty = await call(gw.url, 'POST', '/projects', { ...admin, body: { name: '  ' } });
    expect(empty.status).toBe(400);
    const notObject = await call(gw.url, 'POST', '/projects', { ...admin, body: [1, 2] });
    expect(notObject.status).toBe(400);
    const badId = await call(gw.url, 'GET', '/projects/not-a-uuid/api-keys', admin);
    expect(badId.status).toBe(400);
    expect(badId.json.error.details.issues[0].path).toBe('params.projectId');
  });

  test('a dashboard token works on its own project only', async () => {
    const a = await createProject('A');
    const b = await createProject('B');
    const issued = await call(gw.url, 'POST', `/projects/${a.id}/tokens`, { ...admin, body: { name: 'ci' } });
    expect(issued.status).toBe(201);
    expect(issued.json).toEqual({ id: expect.any(String), name: 'ci', token: expect.stringMatching(/^zt_/) });
    const token = issued.json.token as string;

    expect((await call(gw.url, 'GET', `/projects/${a.id}/api-keys`, { token })).status).toBe(200);
    const foreign = await call(gw.url, 'GET', `/projects/${b.id}/api-keys`, { token });
    expect(foreign.status).toBe(404);
    // A project token is not an admin token.
    expect((await call(gw.url, 'GET', '/projects', { token })).status).toBe(401);
    // Unknown project with the admin token: 404, not 500.
    expect((await call(gw.url, 'GET', '/projects/00000000-0000-4000-8000-000000000000/api-keys', admin)).status).toBe(404);
  });

  test('API keys: shown once, listed masked, revoked at once', async () => {
    const p = await createProject('Keys');
    const created = await call(gw.url, 'POST', `/projects/${p.id}/api-keys`, { ...admin, body: { name: 'web' } });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    expect(key).toMatch(/^zb_[A-Za-z0-9_-]{40,}$/);
    expect(created.json.prefix).toBe(key.slice(0, 7));

    const list = await call(gw.url, 'GET', `/projects/${p.id}/api-keys`, admin);
    expect(list.json.api_keys).toHaveLength(1);
    expect(list.text).not.toContain(key);
    expect(list.json.api_keys[0]).toMatchObject({ id: created.json.id, name: 'web', key: `${key.slice(0, 7)}...`, revoked_at: null, created_by: 'admin' });

    // The key authenticates: the public chat route gets past auth to "no provider configured".
    const before = await call(gw.url, 'POST', '/api/ai/chat', { apiKey: key, body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } });
    expect(before.status).toBe(400);
    expect(before.json.error.message).toMatch(/no openai key is configured/);

    const revoked = await call(gw.url, 'DELETE', `/projects/${p.id}/api-keys/${created.json.id}`, admin);
    expect(revoked.status).toBe(204);
    const after = await call(gw.url, 'POST', '/api/ai/chat', { apiKey: key, body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } });
    expect(after.status).toBe(401);
    const listed = await call(gw.url, 'GET', `/projects/${p.id}/api-keys`, admin);
    expect(listed.json.api_keys[0].revoked_at).not.toBeNull();
    // Revoking again is harmless; an unknown key is 404.
    expect((await call(gw.url, 'DELETE', `/projects/${p.id}/api-keys/${created.json.id}`, admin)).status).toBe(204);
    expect((await call(gw.url, 'DELETE', `/projects/${p.id}/api-keys/00000000-0000-4000-8000-000000000000`, admin)).status).toBe(404);
  });

  test('public routes need x-api-key; a dashboard token is not one', async () => {
    const p = await createProject('Public');
    const token = (await call(gw.url, 'POST', `/projects/${p.id}/tokens`, { ...admin, body: { name: 't' } })).json.token;
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    expect((await call(gw.url, 'POST', '/api/ai/chat', { body })).status).toBe(401);
    expect((await call(gw.url, 'POST', '/api/ai/chat', { apiKey: token, body })).status).toBe(401);
    expect((await call(gw.url, 'POST', '/api/ai/chat', { apiKey: ADMIN_TOKEN, body })).status).toBe(401);
  });

  test('tenant isolation: every project route answers 404 to another project\'s token', async () => {
    const a = await createProject('Iso A');
    const b = await createProject('Iso B');
    const tokenA = (await call(gw.url, 'POST', `/projects/${a.id}/tokens`, { ...admin, body: { name: 'a' } })).json.token;
    const keyB = (await call(gw.url, 'POST', `/projects/${b.id}/api-keys`, { ...admin, body: { name: 'b' } })).json.id;
    const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/projects/${b.id}`],
      ['PATCH', `/projects/${b.id}/settings`, { store_content: true }],
      ['POST', `/projects/${b.id}/tokens`, { name: 'x' }],
      ['POST', `/projects/${b.id}/api-keys`, { name: 'x' }],
      ['GET', `/projects/${b.id}/api-keys`],
      ['DELETE', `/projects/${b.id}/api-keys/${keyB}`],
      ['GET', `/projects/${b.id}/audit`],
      ['GET', `/projects/${b.id}/events`],
      ['POST', `/projects/${b.id}/ai/providers`, { provider: 'openai', api_key: 'sk-test-0123456789abcdef' }],
      ['GET', `/projects/${b.id}/ai/providers`],
      ['POST', `/projects/${b.id}/ai/providers/openai/test`],
      ['DELETE', `/projects/${b.id}/ai/providers/openai`],
      ['GET', `/projects/${b.id}/ai/models`],
      ['POST', `/projects/${b.id}/ai/chat`, chat],
      ['POST', `/projects/${b.id}/ai/chat/stream`, chat],
      ['GET', `/projects/${b.id}/ai/usage`],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(gw.url, method, path, { token: tokenA, body });
      expect([method, path, res.status]).toEqual([method, path, 404]);
      const none = await call(gw.url, method, path, { body });
      expect([method, path, none.status]).toEqual([method, path, 401]);
    }
    // B's key was not revoked by A's attempt.
    const keys = await call(gw.url, 'GET', `/projects/${b.id}/api-keys`, admin);
    expect(keys.json.api_keys[0].revoked_at).toBeNull();
  });

  test('the audit trail records who did what, without secrets', async () => {
    const p = await createProject('Audited');
    const token = (await call(gw.url, 'POST', `/projects/${p.id}/tokens`, { ...admin, body: { name: 'ops' } })).json;
    const key = (await call(gw.url, 'POST', `/projects/${p.id}/api-keys`, { token: token.token, body: { name: 'app' } })).json;
    await call(gw.url, 'DELETE', `/projects/${p.id}/api-keys/${key.id}`, { token: token.token });

    const audit = await call(gw.url, 'GET', `/projects/${p.id}/audit`, admin);
    expect(audit.status).toBe(200);
    const entries = audit.json.entries as any[];
    expect(entries.map((e) => [e.type, e.actor])).toEqual([
      ['ProjectCreated', 'admin'],
      ['DashboardTokenIssued', 'admin'],
      ['ApiKeyIssued', `token:${token.id}`],
      ['ApiKeyRevoked', `token:${token.id}`],
    ]);
    expect(audit.text).not.toContain(token.token);
    expect(audit.text).not.toContain(key.key);
    expect(audit.text).not.toMatch(/keyHash|tokenHash/);
    const filtered = await call(gw.url, 'GET', `/projects/${p.id}/audit?type=ApiKeyRevoked`, admin);
    expect(filtered.json.entries).toHaveLength(1);
    const after = await call(gw.url, 'GET', `/projects/${p.id}/audit?from=${encodeURIComponent(entries[1].position)}`, admin);
    expect(after.json.entries.map((e: any) => e.type)).toEqual(['ApiKeyIssued', 'ApiKeyRevoked']);
    const bad = await call(gw.url, 'GET', `/projects/${p.id}/audit?limit=0`, admin);
    expect(bad.status).toBe(400);
    expect(bad.json.error.details.issues[0].path).toBe('query.limit');
  });

  test('the live feed streams a project\'s events as SSE from a position', async () => {
    const p = await createProject('Feed');
    const other = await createProject('Other');
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/projects/${p.id}/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await call(gw.url, 'POST', `/projects/${other.id}/api-keys`, { ...admin, body: { name: 'not mine' } });
    await call(gw.url, 'POST', `/projects/${p.id}/api-keys`, { ...admin, body: { name: 'mine' } });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const frames: any[] = [];
    while (frames.length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let i;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (data) frames.push(JSON.parse(data.slice(6)));
      }
    }
    controller.abort();
    expect(frames.map((f) => f.type)).toEqual(['ProjectCreated', 'ApiKeyIssued']);
    expect(frames[1].data.name).toBe('mine');
    expect(JSON.stringify(frames)).not.toMatch(/keyHash/);
  });
});
