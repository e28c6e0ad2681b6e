import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { ChatMessage, ChatRequest, ProviderCredentials, ProviderName } from '../../providers/types.ts';
import { resolveModel, type ResolvedModel } from '../../catalog/index.ts';
import { getProviderKey } from '../../../projections/providers.ts';
import { getProject } from '../../../projections/projects.ts';
import { reject } from '../../domain/shared/errors.ts';
import { openSecret } from '../../crypto/secrets.ts';

export interface ChatInput {
  model: string;
  messages: ChatMessage[];
  temperature?: number | undefined;
  max_tokens?: number | undefined;
  top_p?: number | undefined;
  stop?: string[] | undefined;
}

export type CompletionSource = { kind: 'dashboard' | 'public' | 'arena'; apiKeyId: string | null };

/** Everything a completion needs before the upstream call, gathered without any network I/O. */
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
  const [keyRow, project] = await Promise.all([
    getProviderKey(app.database.db, projectId, provider),
    getProject(app.database.db, projectId),
  ]);
  if (!project) reject('not_found', 'project not found');
  if (!keyRow) {
    reject('invalid', `no ${provider} key is configured for this project; add one with POST /projects/${projectId}/ai/providers {"provider":"${provider}","api_key":"..."}`);
  }
  const apiKey = await openSecret({ ciphertext: keyRow!.ciphertext, dataKeyId: keyRow!.data_key_id }, app.dataKeys);
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
    credentials: { apiKey, baseUrl: keyRow!.base_url ?? undefined },
    storeContent: project!.store_content,
  };
}
