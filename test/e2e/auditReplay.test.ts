import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ADMIN_TOKEN, call } from '../support/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import { freshDatabase, preferredBackend } from '../support/databases.ts';
import { startOpenAISimulator } from '../simulators/openai.ts';

const run = promisify(execFile);

test('npm run audit:replay rebuilds a project from its events and prints the key history, never a key', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-replay-'));
  const db = await freshDatabase(preferredBackend());
  const sim = await startOpenAISimulator();
  const firstKey = 'sk-replay-first-0123456789abcdef';
  const secondKey = 'sk-replay-second-0123456789abcdef';
  try {
    const gw = await startTestGateway({ dataDir, databaseUrl: db.url, backend: preferredBackend(), keepStorage: true, env: { ADMIN_TOKEN } });
    const admin = { token: ADMIN_TOKEN };
    const projectId = (await call(gw.url, 'POST', '/projects', { ...admin, body: { name: 'replayed' } })).json.id;
    const key = (await call(gw.url, 'POST', `/projects/${projectId}/api-keys`, { ...admin, body: { name: 'web' } })).json;
    await call(gw.url, 'DELETE', `/projects/${projectId}/api-keys/${key.id}`, admin);
    await call(gw.url, 'POST', `/projects/${projectId}/ai/providers`, { ...admin, body: { provider: 'openai', api_key: firstKey, base_url: `${sim.url}/v1` } });
    await call(gw.url, 'POST', `/projects/${projectId}/ai/providers/openai/test`, admin);
    await call(gw.url, 'POST', `/projects/${projectId}/ai/providers`, { ...admin, body: { provider: 'openai', api_key: secondKey, base_url: `${sim.url}/v1` } });
    await call(gw.url, 'POST', `/projects/${projectId}/ai/providers`, { ...admin, body: { provider: 'groq', api_key: 'gsk_replay-0123456789abcdef' } });
    await call(gw.url, 'DELETE', `/projects/${projectId}/ai/providers/groq`, admin);
    await gw.stop(); // embedded storage has a single owner

    const env = { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ...(db.url ? { DATABASE_URL: db.url } : {}) };
    const text = await run(process.execPath, ['scripts/audit-replay.ts', '--project', projectId], { env });
    const lines = text.stdout.split('\n');
    const summaries = lines.filter((l) => /^\d{4}-/.test(l));
    expect(summaries.map((l) => l.replace(/^\S+\s+\S+\s+/, ''))).toEqual([
      'project "replayed" created (store content: false)',
      expect.stringMatching(/^API key "web" zb_\S+\.\.\. \(.+\) issued$/),
      expect.stringMatching(/^API key .+ revoked$/),
      expect.stringMatching(/^openai key \.\.\.cdef \(fingerprint [0-9a-f]+\) set with base URL /),
      expect.stringMatching(/^openai key \(fingerprint [0-9a-f]+\) tested: ok in \d+ ms$/),
      expect.stringMatching(/^openai key \.\.\.cdef \(fingerprint [0-9a-f]+\) rotated in/),
      expect.stringMatching(/^groq key \.\.\.cdef \(fingerprint [0-9a-f]+\) set$/),
      expect.stringMatching(/^groq key \(fingerprint [0-9a-f]+\) removed; its data key destroyed$/),
    ]);
    expect(text.stdout).toMatch(/openai\s+configured \.\.\.cdef/);
    expect(text.stdout).toMatch(/groq\s+not configured/);
    expect(text.stdout + text.stderr).not.toContain(firstKey);
    expect(text.stdout + text.stderr).not.toContain(secondKey);

    const json = JSON.parse((await run(process.execPath, ['scripts/audit-replay.ts', '--project', projectId, '--json'], { env })).stdout);
    expect(json.project).toMatchObject({ exists: true, name: 'replayed' });
    expect(json.history).toHaveLength(8);

    await expect(run(process.execPath, ['scripts/audit-replay.ts'], { env })).rejects.toMatchObject({ code: 64 });
  } finally {
    await sim.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
