import Router from '@koa/router';
import { z } from 'zod';
import type { AppContext } from '../../application/context.ts';
import { listModels, PRICE_TABLE, resolveModel, type ResolvedModel } from '../../catalog/index.ts';
import { listProviderKeys } from '../../../projections/providers.ts';
import { PROVIDERS, type ProviderName } from '../../providers/types.ts';
import { authMiddleware } from '../auth.ts';
import { parseInput } from '../errors.ts';

const modelsQuery = z.object({
  /** Resolve one name, catalogued or `provider/model-id`, instead of listing the catalog. */
  model: z.string().trim().min(1).max(200).optional(),
}).strict();

function modelView(r: ResolvedModel, configured: Set<ProviderName>) {
  const e = r.entry;
  return {
    id: r.id,
    provider: r.provider,
    provider_model_id: r.providerModelId,
    aliases: e?.aliases ?? [],
    catalogued: e !== undefined,
    capabilities: e?.capabilities ?? null,
    context_window: e?.contextWindow ?? null,
    max_output_tokens: e?.maxOutputTokens ?? null,
    reasoning: e?.reasoning ?? null,
    price: r.price ? {
      input_per_mtok: r.price.inputPerMTok,
      output_per_mtok: r.price.outputPerMTok,
      cache_read_per_mtok: r.price.cacheReadPerMTok ?? null,
      cache_write_per_mtok: r.price.cacheWritePerMTok ?? null,
    } : null,
    /** A key for its provider is configured, so requests can be made now. */
    usable: configured.has(r.provider),
  };
}

/** The model catalog, marked with what this project can use now. */
export function modelRoutes(app: AppContext): Router {
  const router = new Router();
  const auth = authMiddleware(app);
  router.get('/projects/:projectId/ai/models', auth.project, async (ctx) => {
    const q = parseInput(modelsQuery, ctx.query, 'query');
    const keys = await listProviderKeys(app.database.db, ctx.params.projectId!);
    const configured = new Set(keys.map((k) => k.provider as ProviderName));
    const base = {
      price_table_version: PRICE_TABLE.version,
      prices_taken_on: PRICE_TABLE.takenOn,
      providers: Object.fromEntries(PROVIDERS.map((p) => [p, { configured: configured.has(p) }])),
    };
    if (q.model) {
      ctx.body = { ...base, models: [modelView(resolveModel(q.model), configured)] };
      return;
    }
    ctx.body = {
      ...base,
      models: listModels().map((m) => modelView(resolveModel(m.id), configured)),
      uncatalogued: 'any provider/model-id (e.g. openai/gpt-4.1) is accepted; it has no catalog data and, without a listed price, no cost',
    };
  });
  return router;
}
