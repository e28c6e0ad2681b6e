import Router from '@koa/router';
import { z } from 'zod';
import type { AppContext } from '../../application/context.ts';
import { removeProviderKey, setProviderKey, testProviderKey } from '../../application/providerKeys.ts';
import { listProviderKeys, type ProviderKeyRow } from '../../../projections/providers.ts';
import { maskKey } from '../../crypto/secrets.ts';
import { PROVIDERS } from '../../providers/types.ts';
import { authMiddleware, metadataOf } from '../auth.ts';
import { parseInput } from '../errors.ts';

const provider = z.enum(PROVIDERS, { message: `must be one of ${PROVIDERS.join(', ')}` });
const setBody = z.object({
  provider,
  api_key: z.string().trim().min(8, 'is too short to be a provider key').max(4096)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
  base_url: z.string().trim().max(2048).optional(),
}).strict();
const providerParams = z.object({ projectId: z.string().uuid(), provider });

export const providerView = (r: ProviderKeyRow) => ({
  provider: r.provider,
  key: maskKey(r.last4, r.key_prefix),
  fingerprint: r.fingerprint,
  base_url: r.base_url,
  set_at: new Date(r.set_at).toISOString(),
  set_by: r.set_by,
  last_test: r.last_test_at === null ? null : {
    ok: r.last_test_ok,
    at: new Date(r.last_test_at).toISOString(),
    latency_ms: r.last_test_latency_ms,
    error: r.last_test_error ?? null,
  },
});

/** Bring-your-own-key: each project's provider keys, encrypted at rest. */
export function providerRoutes(app: AppContext): Router {
  const router = new Router();
  const auth = authMiddleware(app);
  const db = app.database.db;

  router.post('/projects/:projectId/ai/providers', auth.project, async (ctx) => {
    const body = parseInput(setBody, ctx.request.body);
    const projectId = ctx.params.projectId!;
    await setProviderKey(app, projectId, { provider: body.provider, apiKey: body.api_key, baseUrl: body.base_url }, metadataOf(ctx));
    const row = (await listProviderKeys(db, projectId)).find((r) => r.provider === body.provider)!;
    ctx.status = 201;
    ctx.body = providerView(row);
  });

  router.get('/projects/:projectId/ai/providers', auth.project, async (ctx) => {
    const rows = await listProviderKeys(db, ctx.params.projectId!);
    ctx.body = { providers: rows.map(providerView) };
  });

  router.post('/projects/:projectId/ai/providers/:provider/test', auth.project, async (ctx) => {
    const p = parseInput(providerParams, ctx.params, 'params');
    ctx.body = await testProviderKey(app, p.projectId, p.provider, metadataOf(ctx));
  });

  router.delete('/projects/:projectId/ai/providers/:provider', auth.project, async (ctx) => {
    const p = parseInput(providerParams, ctx.params, 'params');
    await removeProviderKey(app, p.projectId, p.provider, metadataOf(ctx));
    ctx.status = 204;
  });

  return router;
}
