import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, call } from '../support/http.ts';
import { spawnGateway } from '../support/childGateway.ts';
import { freshDatabase, preferredBackend } from '../support/databases.ts';
import { readSse } from '../support/sse.ts';
import { startOpenAISimulator } from '../simulators/openai.ts';

test('SIGTERM: stops accepting, lets the in-flight stream finish, exits 0', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-shutdown-'));
  const db = await freshDatabase(preferredBackend());
  const sim = await startOpenAISimulator();
  try {
    const gw = await spawnGateway({ ADMIN_TOKEN, DATA_DIR: dataDir, SHUTDOWN_TIMEOUT_MS: '10000', ...(db.url ? { DATABASE_URL: db.url } : {}) });
    const admin = { token: ADMIN_TOKEN };
    const projectId = (await call(gw.url, 'POST', '/projects', { ...admin, body: { name: 'drain' } })).json.id;
    await call(gw.url, 'POST', `/projects/${projectId}/ai/providers`, { ...admin, body: { provider: 'openai', api_key: 'sk-drain-test-0123456789abcdef', base_url: `${sim.url}/v1` } });
    sim.enqueue({ kind: 'reply', text: 'a b c d e f', chunkDelayMs: 200 });
    const res = await fetch(`${gw.url}/projects/${projectId}/ai/chat/stream`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'go' }] }),
    });
    let signalled = false;
    const { frames } = await readSse(res, (frame) => {
      if (!signalled && 'chunk' in frame) { signalled = true; gw.child.kill('SIGTERM'); }
    });
    expect(signalled).toBe(true);
    expect(frames.at(-1)).toMatchObject({ done: true, finish_reason: 'stop' });
    expect(frames.filter((f) => 'chunk' in f).map((f) => f.chunk).join('')).toBe('a b c d e f');
    expect(await gw.exited).toBe(0);
    await expect(fetch(`${gw.url}/health`)).rejects.toThrow();
    expect(gw.output.join('\n')).toMatch(/"msg":"stopped"/);
  } finally {
    await sim.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
