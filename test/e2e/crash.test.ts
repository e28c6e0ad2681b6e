import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { ADMIN_TOKEN, call } from '../support/http.ts';
import { spawnGateway } from '../support/childGateway.ts';
import { freshDatabase, preferredBackend } from '../support/databases.ts';
import { eventually } from '../support/sse.ts';
import { openDatabase } from '../../src/db/database.ts';
import { startOpenAISimulator } from '../simulators/openai.ts';

/**
 * SIGKILL in the middle of a burst of chat requests, then a restart: every request that was
 * acknowledged has its events and its usage row, and no event is applied to a read model twice.
 */
test('killing the process mid-burst loses no acknowledged request and applies none twice', async () => {
  const backend = preferredBackend();
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-crash-'));
  const db = await freshDatabase(backend);
  const sim = await startOpenAISimulator();
  const env = { ADMIN_TOKEN, DATA_DIR: dataDir, ...(db.url ? { DATABASE_URL: db.url } : {}) };
  try {
    let gw = await spawnGateway(env);
    const admin = { token: ADMIN_TOKEN };
    const projectId = (await call(gw.url, 'POST', '/projects', { ...admin, body: { name: 'crash' } })).json.id;
    const apiKey = (await call(gw.url, 'POST', `/projects/${projectId}/api-keys`, { ...admin, body: { name: 'load' } })).json.key;
    await call(gw.url, 'POST', `/projects/${projectId}/ai/providers`, { ...admin, body: { provider: 'openai', api_key: 'sk-crash-test-0123456789abcdef', base_url: `${sim.url}/v1` } });

    const acknowledged: string[] = [];
    let killed = false;
    const worker = async () => {
      while (!killed) {
        try {
          const res = await call(gw.url, 'POST', '/api/ai/chat', { apiKey, body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } });
          if (res.status === 200) acknowledged.push(res.json.id);
        } catch { /* the connection died with the process: never acknowledged */ }
        if (!killed && acknowledged.length >= 60) {
          killed = true;
          gw.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    await gw.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);

    gw = await spawnGateway(env);
    // Every acknowledged completion has its usage row, eventually (projections catch up after restart).
    await eventually(async () => {
      const usage = await call(gw.url, 'GET', `/projects/${projectId}/ai/usage?recent=500`, admin);
      const succeeded = new Set(usage.json.recent_logs.filter((l: any) => l.status === 'succeeded').map((l: any) => l.id));
      return acknowledged.every((id) => succeeded.has(id)) ? true : undefined;
    }, 15_000, 'usage rows for every acknowledged completion');
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);

    const database = await openDatabase({ databaseUrl: db.url, dataDir });
    try {
      const counts = await sql<{ type: string; n: string }>`select type, count(*) as n from es_events where type like 'Completion%' group by type`.execute(database.db);
      const byType = Object.fromEntries(counts.rows.map((r) => [r.type, Number(r.n)]));
      const outcomes = (byType.CompletionSucceeded ?? 0) + (byType.CompletionFailed ?? 0) + (byType.CompletionCancelled ?? 0);
      expect(byType.CompletionSucceeded).toBeGreaterThanOrEqual(acknowledged.length);
      const log = await sql<{ n: string; done: string }>`select count(*) as n, count(*) filter (where status <> 'requested') as done from rm_usage_log`.execute(database.db);
      expect(Number(log.rows[0]!.n)).toBe(byType.CompletionRequested);
      expect(Number(log.rows[0]!.done)).toBe(outcomes);
      // The daily roll-up adds one per outcome: applying any outcome twice would show here.
      const daily = await sql<{ n: string }>`select coalesce(sum(requests), 0) as n from rm_usage_daily`.execute(database.db);
      expect(Number(daily.rows[0]!.n)).toBe(outcomes);
    } finally {
      await database.close();
    }
  } finally {
    await sim.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
