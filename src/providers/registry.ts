import type { ProviderAdapter, ProviderName } from './types.ts';

/**
 * Every provider's adapter, loaded on first use. The SDKs are large (Mistral's alone adds about
 * 100 MB to a process), and a gateway usually talks to a few providers, so a process only pays
 * for the ones its projects call. A Record so a provider name without an adapter fails to compile.
 */
const loaders: Record<ProviderName, () => Promise<ProviderAdapter>> = {
  openai: async () => (await import('./openai/index.ts')).openaiAdapter,
  anthropic: async () => (await import('./anthropic/index.ts')).anthropicAdapter,
  google: async () => (await import('./google/index.ts')).googleAdapter,
  groq: async () => (await import('./groq/index.ts')).groqAdapter,
  mistral: async () => (await import('./mistral/index.ts')).mistralAdapter,
  deepseek: async () => (await import('./deepseek/index.ts')).deepseekAdapter,
};

const loaded = new Map<ProviderName, Promise<ProviderAdapter>>();

export function getAdapter(name: ProviderName): Promise<ProviderAdapter> {
  let adapter = loaded.get(name);
  if (!adapter) {
    adapter = loaders[name]();
    loaded.set(name, adapter);
    adapter.catch(() => loaded.delete(name)); // a failed load is retried next time
  }
  return adapter;
}

export const providerNames = Object.keys(loaders) as ProviderName[];
