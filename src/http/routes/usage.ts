import Router from '@koa/router';
import { z } from 'zod';
import type { AppContext } from '../../application/context.ts';
import { usageSummary } from '../../../projections/usage.ts';
import { authMiddleware } from '../auth.ts';
import { parseInput } from '../errors.ts';

const usageQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).default(30),
  recent: z.coerce.number().int().min(0).max(500).default(50),
}).strict();

/** Usage analytics, read from the usage projection. */
export function usageRoutes(app: AppContext): Router {
  const router = new Router();
  const auth = authMiddleware(app);
  router.get('/projects/:projectId/ai/usage', auth.project, async (ctx) => {
    const q = parseInput(usageQuery, ctx.query, 'query');
    ctx.body = await usageSummary(app.database.db, ctx.params.projectId!, q.days, q.recent);
  });
  return router;
}
