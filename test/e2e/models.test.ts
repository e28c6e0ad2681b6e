import { ADMIN_TOKEN, call } from '../support/http.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

describe('GET /projects/{id}/ai/models', () => {
  let gw: TestGateway;
  let projectId: string;
  const admin = { token: ADMIN_TOKEN };
  beforeAll(async () => {
    gw = await startTestGateway({ env: { ADMIN_TOKEN } });
    projectId = (await call(gw.url, 'POST', '/projects', { ...admin, body: { name: 'models' } })).json.id;
  });
  afterAll(async () => { await gw.dispose(); });

  test('lists every model the product names, with real provider ids and prices, usable once a key is set', async () => {
    const before = await call(gw.url, 'GET', `/projects/${projectId}/ai/models`, admin);
    expect(before.status).toBe(200);
    const ids = before.json.models.map((m: any) => m.id);
    for (const id of ['gpt-4o', 'gpt-4o-mini', 'o1', 'gpt-4-turbo', 'claude-sonnet-4', 'claude-3.5-sonnet', 'claude-3-haiku',
      'gemini-2.0-flash', 'gemini-1.5-pro', 'gemini-1.5-flash', 'llama-3.3-70b', 'mixtral-8x7b', 'gemma2-9b',
      'mistral-large', 'mistral-small', 'open-mixtral', 'deepseek-chat', 'deepseek-coder', 'deepseek-reasoner']) {
      expect(ids).toContain(id);
    }
    const sonnet = before.json.models.find((m: any) => m.id === 'claude-sonnet-4');
    expect(sonnet).toMatchObject({ provider: 'anthropic', provider_model_id: 'claude-sonnet-4-20250514', usable: false, catalogued: true });
    expect(sonnet.price.input_per_mtok).toBeGreaterThan(0);
    expect(before.json.price_table_version).toEqual(expect.any(String));

    await call(gw.url, 'POST', `/projects/${projectId}/ai/providers`, { ...admin, body: { provider: 'anthropic', api_key: 'sk-ant-test-0123456789abcdef' } });
    const after = await call(gw.url, 'GET', `/projects/${projectId}/ai/models`, admin);
    expect(after.json.models.find((m: any) => m.id === 'claude-sonnet-4').usable).toBe(true);
    expect(after.json.models.find((m: any) => m.id === 'gpt-4o').usable).toBe(false);
    expect(after.json.providers.anthropic).toEqual({ configured: true });
  });

  test('resolves an uncatalogued provider/model-id, and names close matches for a typo', async () => {
    const custom = await call(gw.url, 'GET', `/projects/${projectId}/ai/models?model=openai/gpt-4.1-nano`, admin);
    expect(custom.status).toBe(200);
    expect(custom.json.models[0]).toMatchObject({ id: 'openai/gpt-4.1-nano', provider: 'openai', provider_model_id: 'gpt-4.1-nano', catalogued: false });
    const typo = await call(gw.url, 'GET', `/projects/${projectId}/ai/models?model=gpt-4o-mni`, admin);
    expect(typo.status).toBe(400);
    expect(typo.json.error.message).toMatch(/gpt-4o-mini/);
    const chatTypo = await call(gw.url, 'POST', `/projects/${projectId}/ai/chat`, { ...admin, body: { model: 'claude-sonet-4', messages: [{ role: 'user', content: 'x' }] } });
    expect(chatTypo.status).toBe(400);
    expect(chatTypo.json.error.message).toMatch(/claude-sonnet-4/);
    const embedForChat = await call(gw.url, 'POST', `/projects/${projectId}/ai/chat`, { ...admin, body: { model: 'text-embedding-3-small', messages: [{ role: 'user', content: 'x' }] } });
    expect(embedForChat.status).toBe(400);
    expect(embedForChat.json.error.message).toMatch(/does not support chat/);
  });
});
