import Groq from 'groq-sdk';
import { providerFetch } from '../shared/fetch.ts';
import type { CompatibleClient } from '../openaiCompatible/adapter.ts';
import type { GroqChatParams } from './request.ts';

/** A groq-sdk client with the SDK's retries off; the gateway has one retry policy. */
export function createGroqClient(apiKey: string, baseURL: string): CompatibleClient<GroqChatParams> {
  const sdk = new Groq({ apiKey, baseURL, maxRetries: 0, logLevel: 'off', fetch: providerFetch });
  return {
    complete: (params, o) => sdk.chat.completions.create({ ...params, stream: false }, { ...o, maxRetries: 0 }),
    stream: (params, o) => sdk.chat.completions.create({ ...params, stream: true }, { ...o, maxRetries: 0 }),
    listModels: (o) => sdk.models.list({ ...o, maxRetries: 0 }),
  };
}
