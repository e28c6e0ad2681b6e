import { sql } from 'kysely';
import { ADMIN_TOKEN, call } from '../support/http.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startOpenAISimulator } from '../simulators/openai.ts';
import type { SimScript, Simulator } from '../simulators/base.ts';

/** Prompts and answers stay out of the log unless a project opts in. */
describe('storing prompt and response text', () => {
  let gw: TestGateway;
  let sim: Simulator<SimScript>;
  const admin = { token: ADMIN_TOKEN };
  beforeAll(async () => {
    sim = await startOpenAISimulator();
    gw = await startTestGateway({ env: { ADMIN_TOKEN } });
  });
  afterAll(async () => {
    await gw.dispose();
    await sim.close();
  });

  const completionEvents = async (completionId: string) => {
    const rows = await sql<{ type: string; data: unknown }>`select type, data from es_events where stream = ${`completion-${completionId}`} order by version`.execute(gw.gateway.database.db);
    return rows.rows.map((r) => ({ type: r.type, data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data }));
  };

  test('off by default: the events hold counts, never the text; on: both are kept', async () => {
    const projectId = (await call(gw.url, 'POST', '/projects', { ...admin, body: { name: 'content' } })).json.id;
    await call(gw.url, 'POST', `/projects/${projectId}/ai/providers`, { ...admin, body: { provider: 'openai', api_key: 'sk-content-0123456789abcdef', base_url: `${sim.url}/v1` } });
    const ask = () => call(gw.url, 'POST', `/projects/${projectId}/ai/chat`, { ...admin, body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a very private question' }] } });

    const off = await ask();
    const [requested, succeeded] = await completionEvents(off.json.id);
    expect(requested).toMatchObject({ type: 'CompletionRequested', data: { messageCount: 1, messages: null } });
    expect(succeeded).toMatchObject({ type: 'CompletionSucceeded', data: { content: null } });
    expect(JSON.stringify([requested, succeeded])).not.toContain('private question');

    const changed = await call(gw.url, 'PATCH', `/projects/${projectId}/settings`, { ...admin, body: { store_content: true } });
    expect(changed.json.store_content).toBe(true);
    const on = await ask();
    const [requestedOn, succeededOn] = await completionEvents(on.json.id);
    expect(requestedOn!.data.messages).toEqual([{ role: 'user', content: 'a very private question' }]);
    expect(succeededOn!.data.content).toBe(on.json.content);
  });
});
