import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, call } from '../support/http.ts';
import { startTestGateway } from '../support/gateway.ts';

test('a project recorded with ProjectCreated v1 is served, audited and extended as v2', async () => {
  const gw = await startTestGateway({ env: { ADMIN_TOKEN } });
  try {
    const projectId = randomUUID();
    // Written the way an older release wrote it: no storeContent field, schema version 1.
    const appended = await gw.gateway.eventStore.append(`project-${projectId}`, [{
      id: randomUUID(), type: 'ProjectCreated', schemaVersion: 1, data: { projectId, name: 'from v1' }, metadata: { actor: 'admin' },
    }], { expected: 'no_stream' });
    await gw.gateway.projections.waitFor(appended.checkpoint, ['projects', 'audit'], 5000);

    const project = await call(gw.url, 'GET', `/projects/${projectId}`, { token: ADMIN_TOKEN });
    expect(project.json).toMatchObject({ id: projectId, name: 'from v1', store_content: false });
    const audit = await call(gw.url, 'GET', `/projects/${projectId}/audit`, { token: ADMIN_TOKEN });
    expect(audit.json.entries[0]).toMatchObject({ type: 'ProjectCreated', schema_version: 2, data: { name: 'from v1', storeContent: false } });
    // Commands decide on the upcast state: the v1 project takes new events normally.
    const key = await call(gw.url, 'POST', `/projects/${projectId}/api-keys`, { token: ADMIN_TOKEN, body: { name: 'after upgrade' } });
    expect(key.status).toBe(201);
    const settings = await call(gw.url, 'PATCH', `/projects/${projectId}/settings`, { token: ADMIN_TOKEN, body: { store_content: true } });
    expect(settings.json.store_content).toBe(true);
  } finally {
    await gw.dispose();
  }
});
