import { anthropicAdapter } from './anthropic/index.ts';
import { deepseekAdapter } from './deepseek/index.ts';
import { googleAdapter } from './google/index.ts';
import { groqAdapter } from './groq/index.ts';
import { mistralAdapter } from './mistral/index.ts';
import { openaiAdapter } from './openai/index.ts';
import type { ProviderAdapter, ProviderName } from './types.ts';

/** Every provider's adapter; a Record so adding a provider name without an adapter fails to compile. */
export const adapters: Record<ProviderName, ProviderAdapter> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  google: googleAdapter,
  groq: groqAdapter,
  mistral: mistralAdapter,
  deepseek: deepseekAdapter,
};

export function getAdapter(name: ProviderName): ProviderAdapter {
  return adapters[name];
}
