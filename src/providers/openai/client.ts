import OpenAI from 'openai';
import { providerFetch } from '../shared/fetch.ts';
import type { CompatibleClient } from '../openaiCompatible/adapter.ts';
import type { OpenAIChatParams } from './request.ts';

/**
 * An openai SDK client with the SDK's own retries off (the gateway has one retry policy) and
 * nothing read from the environment: organization and project headers are never sent implicitly.
 * Requests go through `providerFetch` (src/providers/shared/fetch.ts).
 */
export function createOpenAIClient(apiKey: string, baseURL: string): CompatibleClient<OpenAIChatParams> {
  const sdk = new OpenAI({ apiKey, baseURL, maxRetries: 0, organization: null, project: null, logLevel: 'off', fetch: providerFetch });
  return {
    complete: (params, o) => sdk.chat.completions.create({ ...params, stream: false }, { ...o, maxRetries: 0 }),
    stream: (params, o) => sdk.chat.completions.create({ ...params, stream: true }, { ...o, maxRetries: 0 }),
    listModels: (o) => sdk.models.list({ ...o, maxRetries: 0 }),
  };
}
