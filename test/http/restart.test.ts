import { statSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call } from '../support/http.ts';
import { startTestGateway } from '../support/gateway.ts';

describe('embedded storage survives a restart', () => {
  test('a project created before a restart is there after it; the generated admin token is kept owner-only', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-restart-'));
    try {
      const first = await startTestGateway({ backend: 'pglite', dataDir, keepStorage: true });
      const tokenFile = join(dataDir, 'admin.token');
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      const adminToken = readFileSync(tokenFile, 'utf8').trim();
      expect(adminToken).toMatch(/^za_/);
      expect(first.logs.join('\n')).not.toContain(adminToken);
      expect(first.logs.join('\n')).toContain('admin.token');

      const created = await call(first.url, 'POST', '/projects', { token: adminToken, body: { name: 'Durable' } });
      expect(created.status).toBe(201);
      const providerPath = `/projects/${created.json.id}/ai/providers`;
      await call(first.url, 'POST', providerPath, { token: adminToken, body: { provider: 'anthropic', api_key: 'sk-ant-durable-0123456789abcdef' } });
      const providersBefore = (await call(first.url, 'GET', providerPath, { token: adminToken })).json;
      await first.stop();

      const second = await startTestGateway({ backend: 'pglite', dataDir, keepStorage: true });
      const ready = await call(second.url, 'GET', '/ready');
      expect(ready.status).toBe(200);
      const list = await call(second.url, 'GET', '/projects', { token: adminToken });
      expect(list.json.projects).toEqual([expect.objectContaining({ id: created.json.id, name: 'Durable' })]);
      // The providers read model is the same, and the key still decrypts (same master key file).
      expect((await call(second.url, 'GET', providerPath, { token: adminToken })).json).toEqual(providersBefore);
      expect((await second.gateway.projections.compareWithRebuild('providers')).equal).toBe(true);
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
