import { createCompatibleAdapter } from '../openaiCompatible/adapter.ts';
import { basePath } from '../openaiCompatible/baseUrl.ts';
import { checkUrlShape } from '../shared/baseUrl.ts';
import { createOpenAIClient } from '../openai/client.ts';
import type { ProviderAdapter } from '../types.ts';
import { deepseekSdkErrors } from './errors.ts';
import { toDeepSeekParams } from './request.ts';
import { deepseekResponses } from './response.ts';

export const DEEPSEEK_DEFAULT_BASE_URL = 'https://api.deepseek.com';

/** DeepSeek serves the same API at the host root and under /v1; both are documented. */
export function checkDeepSeekBaseUrl(url: URL): string | undefined {
  const plain = checkUrlShape(url);
  if (plain) return plain;
  const path = basePath(url);
  if (path !== '' && !path.endsWith('/v1')) {
    return `DeepSeek base URL must be the host root or end with /v1 (e.g. ${DEEPSEEK_DEFAULT_BASE_URL}); the SDK appends /chat/completions to it`;
  }
  return undefined;
}

export const deepseekAdapter: ProviderAdapter = createCompatibleAdapter({
  ...deepseekResponses,
  defaultBaseUrl: DEEPSEEK_DEFAULT_BASE_URL,
  modelsProbe: 'GET /models',
  errorClasses: deepseekSdkErrors,
  checkBaseUrl: checkDeepSeekBaseUrl,
  createClient: createOpenAIClient,
  toParams: toDeepSeekParams,
});
