import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { ChatMessage, ChatRequest, ProviderCredentials, ProviderName } from '../../providers/types.ts';
import { resolveModel, type ResolvedModel } from '../../catalog/index.ts';
import { getProviderKey } from '../../../projections/providers.ts';
import { getProject } from '../../../projections/projects.ts';
import { reject } from '../../domain/shared/errors.ts';
import { openSecret } from '../../crypto/secrets.ts';
import type { CachedProviderKey } from '../hotCache.ts';

export interface ChatInput {
  model: string;
  messages: ChatMessage[];
  temperature?: number | undefined;
  max_tokens?: number | undefined;
  top_p?: number | undefined;
  stop?: string[] | undefined;
}

export type CompletionSource = { kind: 'dashboard' | 'public' | 'arena'; apiKeyId: string | null };

/** Everything a completion needs before the upstream call; cached per process (see hotCache.ts). */
export interface PreparedCompletion {
  completionId: string;
  projectId: string;
  source: CompletionSource;
  resolved: ResolvedModel;
  provider: ProviderName;
  request: ChatRequest;
  credentials: ProviderCredentials;
  storeContent: boolean;
}

export async function prepareCompletion(app: AppContext, projectId: string, input: ChatInput, source: CompletionSource): Promise<PreparedCompletion> {
  const resolved = resolveModel(input.model, { capability: 'chat' });
  const provider = resolved.provider;
  const [key, storeContent] = await Promise.all([providerKeyFor(app, projectId, provider), storeContentOf(app, projectId)]);
  return {
    completionId: randomUUID(),
    projectId,
    source,
    resolved,
    provider,
    request: {
      model: resolved.providerModelId,
      messages: input.messages,
      temperature: input.temperature,
      max_tokens: input.max_tokens,
      top_p: input.top_p,
      stop: input.stop,
    },
    credentials: { apiKey: key.apiKey, baseUrl: key.baseUrl },
    storeContent,
  };
}

/** The project's decrypted key for this provider, from memory when this process has it. */
async function providerKeyFor(app: AppContext, projectId: string, provider: ProviderName): Promise<CachedProviderKey> {
  const cached = app.cache.providerKey(projectId, provider);
  if (cached) return cached;
  const epoch = app.cache.epoch();
  const row = await getProviderKey(app.database.db, projectId, provider);
  if (!row) {
    return reject('invalid', `no ${provider} key is configured for this project; add one with POST /projects/${projectId}/ai/providers {"provider":"${provider}","api_key":"..."}`);
  }
  const key = {
    apiKey: await openSecret({ ciphertext: row.ciphertext, dataKeyId: row.data_key_id }, app.dataKeys),
    baseUrl: row.base_url ?? undefined,
    fingerprint: row.fingerprint,
  };
  app.cache.rememberProviderKey(projectId, provider, key, epoch);
  return key;
}

async function storeContentOf(app: AppContext, projectId: string): Promise<boolean> {
  const cached = app.cache.storeContent(projectId);
  if (cached !== undefined) return cached;
  const epoch = app.cache.epoch();
  const project = await getProject(app.database.db, projectId);
  if (!project) return reject('not_found', 'project not found');
  app.cache.rememberStoreContent(projectId, project.store_content, epoch);
  return project.store_content;
}
