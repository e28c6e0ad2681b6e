import Router from '@koa/router';
import { z } from 'zod';
import type { AppContext } from '../../application/context.ts';
import {
  changeProjectSettings, createProject, issueApiKey, issueDashboardToken, revokeApiKey,
} from '../../application/projects.ts';
import { getProject, listProjects, type ProjectRow } from '../../../projections/projects.ts';
import { listApiKeys } from '../../../projections/credentials.ts';
import { authMiddleware, metadataOf } from '../auth.ts';
import { notFound, parseInput } from '../errors.ts';

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const createProjectBody = z.object({ name, store_content: z.boolean().default(false) }).strict();
const settingsBody = z.object({ store_content: z.boolean() }).strict();
const namedBody = z.object({ name }).strict();
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().uuid().optional(),
}).strict();
const keyParams = z.object({ projectId: z.string().uuid(), keyId: z.string().uuid('must be a UUID') });

const projectView = (p: ProjectRow) => ({ id: p.id, name: p.name, created_at: p.created_at.toISOString(), store_content: p.store_content });

/** Projects, dashboard tokens and public API keys. */
export function projectRoutes(app: AppContext): Router {
  const router = new Router();
  const auth = authMiddleware(app);
  const db = app.database.db;

  router.post('/projects', auth.admin, async (ctx) => {
    const body = parseInput(createProjectBody, ctx.request.body);
    const { projectId } = await createProject(app, { name: body.name, storeContent: body.store_content }, metadataOf(ctx));
    const row = await getProject(db, projectId);
    if (!row) throw notFound('project');
    ctx.status = 201;
    ctx.body = projectView(row);
  });

  router.get('/projects', auth.admin, async (ctx) => {
    const q = parseInput(listQuery, ctx.query, 'query');
    const rows = await listProjects(db, q.limit, q.after);
    ctx.body = { projects: rows.map(projectView), next: rows.length === q.limit ? rows.at(-1)!.id : null };
  });

  router.get('/projects/:projectId', auth.project, async (ctx) => {
    const row = await getProject(db, ctx.params.projectId!);
    if (!row) throw notFound('project');
    ctx.body = projectView(row);
  });

  router.patch('/projects/:projectId/settings', auth.project, async (ctx) => {
    const body = parseInput(settingsBody, ctx.request.body);
    await changeProjectSettings(app, ctx.params.projectId!, { storeContent: body.store_content }, metadataOf(ctx));
    ctx.body = projectView((await getProject(db, ctx.params.projectId!))!);
  });

  router.post('/projects/:projectId/tokens', auth.project, async (ctx) => {
    const body = parseInput(namedBody, ctx.request.body);
    ctx.status = 201;
    ctx.body = await issueDashboardToken(app, ctx.params.projectId!, body.name, metadataOf(ctx));
  });

  router.post('/projects/:projectId/api-keys', auth.project, async (ctx) => {
    const body = parseInput(namedBody, ctx.request.body);
    ctx.status = 201;
    ctx.body = await issueApiKey(app, ctx.params.projectId!, body.name, metadataOf(ctx));
  });

  router.get('/projects/:projectId/api-keys', auth.project, async (ctx) => {
    const rows = await listApiKeys(db, ctx.params.projectId!);
    ctx.body = {
      api_keys: rows.map((r) => ({
        id: r.id,
        name: r.name,
        key: `${r.prefix}...`,
        prefix: r.prefix,
        created_at: r.created_at.toISOString(),
        created_by: r.created_by,
        revoked_at: r.revoked_at?.toISOString() ?? null,
      })),
    };
  });

  router.delete('/projects/:projectId/api-keys/:keyId', auth.project, async (ctx) => {
    const { projectId, keyId } = parseInput(keyParams, ctx.params, 'params');
    await revokeApiKey(app, projectId, keyId, metadataOf(ctx));
    ctx.status = 204;
  });

  return router;
}
