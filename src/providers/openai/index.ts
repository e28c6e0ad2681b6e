import { createCompatibleAdapter } from '../openaiCompatible/adapter.ts';
import { basePath } from '../openaiCompatible/baseUrl.ts';
import { checkUrlShape } from '../shared/baseUrl.ts';
import type { ProviderAdapter } from '../types.ts';
import { createOpenAIClient } from './client.ts';
import { openaiSdkErrors } from './errors.ts';
import { toOpenAIParams } from './request.ts';
import { openaiResponses } from './response.ts';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** The openai SDK appends `/chat/completions` to its base URL, so the URL must carry the `/v1`. */
export function checkOpenAIBaseUrl(url: URL): string | undefined {
  const plain = checkUrlShape(url);
  if (plain) return plain;
  if (!basePath(url).endsWith('/v1')) {
    return `OpenAI base URL must end with /v1 (e.g. ${OPENAI_DEFAULT_BASE_URL}); the SDK appends /chat/completions to it`;
  }
  return undefined;
}

export const openaiAdapter: ProviderAdapter = createCompatibleAdapter({
  ...openaiResponses,
  defaultBaseUrl: OPENAI_DEFAULT_BASE_URL,
  modelsProbe: 'GET /v1/models',
  errorClasses: openaiSdkErrors,
  checkBaseUrl: checkOpenAIBaseUrl,
  createClient: createOpenAIClient,
  toParams: toOpenAIParams,
});
