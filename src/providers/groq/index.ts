import { createCompatibleAdapter } from '../openaiCompatible/adapter.ts';
import { checkHostRoot } from '../shared/baseUrl.ts';
import type { ProviderAdapter } from '../types.ts';
import { createGroqClient } from './client.ts';
import { groqSdkErrors } from './errors.ts';
import { toGroqParams } from './request.ts';
import { groqResponses } from './response.ts';

export const GROQ_DEFAULT_BASE_URL = 'https://api.groq.com';

/** groq-sdk appends `/openai/v1/...` itself, so its base URL is a host root. */
export function checkGroqBaseUrl(url: URL): string | undefined {
  return checkHostRoot(url, 'Groq', '/openai/v1');
}

export const groqAdapter: ProviderAdapter = createCompatibleAdapter({
  ...groqResponses,
  defaultBaseUrl: GROQ_DEFAULT_BASE_URL,
  modelsProbe: 'GET /openai/v1/models',
  errorClasses: groqSdkErrors,
  checkBaseUrl: checkGroqBaseUrl,
  createClient: createGroqClient,
  toParams: toGroqParams,
});
