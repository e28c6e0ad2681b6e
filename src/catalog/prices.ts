import type { Price } from '../domain/cost.ts';
import type { ProviderName } from '../providers/types.ts';

/**
 * List prices in USD per million tokens, keyed by `provider/provider-model-id`, as published on
 * the providers' pricing pages (see `sources`) on `takenOn`. The version is recorded with every
 * completion's cost, so a cost can always be traced to the table that produced it. Prices change:
 * a new table gets a new version (docs/models.md says how).
 *
 * Where a provider has tiers the table holds the standard, on-demand, shortest-prompt tier
 * (Gemini 1.5 up to 128K prompt tokens; Anthropic 5-minute cache writes). OpenAI and DeepSeek
 * cache writes are free (no cacheWrite rate needed: they report none); Gemini's cache storage
 * is billed per hour and not modelled here.
 */
export interface PriceTable {
  version: string;
  takenOn: string;
  sources: Record<ProviderName, string>;
  prices: Record<string, Price>;
}

export const PRICE_TABLE: PriceTable = {
  version: '2026-12-01',
  takenOn: '2026-12-03',
  sources: {
    openai: 'https://openai.com/api/pricing/',
    anthropic: 'https://www.anthropic.com/pricing#api',
    google: 'https://ai.google.dev/gemini-api/docs/pricing',
    groq: 'https://groq.com/pricing',
    mistral: 'https://mistral.ai/pricing#api-pricing',
    deepseek: 'https://api-docs.deepseek.com/quick_start/pricing',
  },
  prices: {
    'openai/gpt-4o': { inputPerMTok: 2.5, cacheReadPerMTok: 1.25, outputPerMTok: 10 },
    'openai/gpt-4o-mini': { inputPerMTok: 0.15, cacheReadPerMTok: 0.075, outputPerMTok: 0.6 },
    'openai/o1': { inputPerMTok: 15, cacheReadPerMTok: 7.5, outputPerMTok: 60 },
    'openai/gpt-4-turbo': { inputPerMTok: 10, outputPerMTok: 30 },
    'openai/text-embedding-3-small': { inputPerMTok: 0.02, outputPerMTok: 0 },
    'openai/text-embedding-3-large': { inputPerMTok: 0.13, outputPerMTok: 0 },

    'anthropic/claude-sonnet-4-20250514': { inputPerMTok: 3, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75, outputPerMTok: 15 },
    'anthropic/claude-3-5-sonnet-20241022': { inputPerMTok: 3, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75, outputPerMTok: 15 },
    'anthropic/claude-3-haiku-20240307': { inputPerMTok: 0.25, cacheReadPerMTok: 0.03, cacheWritePerMTok: 0.3, outputPerMTok: 1.25 },

    'google/gemini-2.0-flash': { inputPerMTok: 0.1, cacheReadPerMTok: 0.025, outputPerMTok: 0.4 },
    'google/gemini-1.5-pro': { inputPerMTok: 1.25, cacheReadPerMTok: 0.3125, outputPerMTok: 5 },
    'google/gemini-1.5-flash': { inputPerMTok: 0.075, cacheReadPerMTok: 0.01875, outputPerMTok: 0.3 },

    'groq/llama-3.3-70b-versatile': { inputPerMTok: 0.59, outputPerMTok: 0.79 },
    'groq/mixtral-8x7b-32768': { inputPerMTok: 0.24, outputPerMTok: 0.24 },
    'groq/gemma2-9b-it': { inputPerMTok: 0.2, outputPerMTok: 0.2 },

    'mistral/mistral-large-latest': { inputPerMTok: 2, outputPerMTok: 6 },
    'mistral/mistral-small-latest': { inputPerMTok: 0.1, outputPerMTok: 0.3 },
    'mistral/open-mixtral-8x7b': { inputPerMTok: 0.7, outputPerMTok: 0.7 },
    'mistral/mistral-embed': { inputPerMTok: 0.1, outputPerMTok: 0 },

    'deepseek/deepseek-chat': { inputPerMTok: 0.28, cacheReadPerMTok: 0.028, outputPerMTok: 0.42 },
    'deepseek/deepseek-reasoner': { inputPerMTok: 0.28, cacheReadPerMTok: 0.028, outputPerMTok: 0.42 },
  },
};

/** The listed price of a provider's model, or null when the table has none (cost unknown). */
export function priceFor(provider: ProviderName, providerModelId: string, table: PriceTable = PRICE_TABLE): Price | null {
  return table.prices[`${provider}/${providerModelId}`] ?? null;
}
