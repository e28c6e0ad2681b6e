import type { ProviderName } from '../providers/types.ts';

/**
 * The models the gateway knows by name. Each entry maps a stable gateway id (and aliases) to the
 * provider's own model id, with what the model can do and its limits. Any other model of a
 * supported provider stays usable as `provider/model-id`, just without catalog data or a price.
 */
export interface ModelCapabilities {
  chat: boolean;
  stream: boolean;
  embed: boolean;
  vision: boolean;
  tools: boolean;
}

export interface ModelEntry {
  /** The gateway id clients use, e.g. "claude-sonnet-4". */
  id: string;
  aliases: readonly string[];
  provider: ProviderName;
  /** The id the provider's API takes, e.g. "claude-sonnet-4-20250514". */
  providerModelId: string;
  capabilities: ModelCapabilities;
  /** Tokens of input plus output the model can attend to. */
  contextWindow: number;
  /** The most tokens one response may contain (0 for embedding models). */
  maxOutputTokens: number;
  /** Always reasons before answering (o1, deepseek-reasoner): slower, reasoning tokens billed. */
  reasoning: boolean;
  /** Embedding vector length, for embedding models. */
  embeddingDimensions?: number;
}

const chat = (over: Partial<ModelCapabilities> = {}): ModelCapabilities =>
  ({ chat: true, stream: true, embed: false, vision: false, tools: true, ...over });
const embed: ModelCapabilities = { chat: false, stream: false, embed: true, vision: false, tools: false };

export const MODELS: readonly ModelEntry[] = [
  // OpenAI
  { id: 'gpt-4o', aliases: ['gpt4o'], provider: 'openai', providerModelId: 'gpt-4o', capabilities: chat({ vision: true }), contextWindow: 128_000, maxOutputTokens: 16_384, reasoning: false },
  { id: 'gpt-4o-mini', aliases: ['gpt4o-mini'], provider: 'openai', providerModelId: 'gpt-4o-mini', capabilities: chat({ vision: true }), contextWindow: 128_000, maxOutputTokens: 16_384, reasoning: false },
  { id: 'o1', aliases: [], provider: 'openai', providerModelId: 'o1', capabilities: chat({ vision: true }), contextWindow: 200_000, maxOutputTokens: 100_000, reasoning: true },
  { id: 'gpt-4-turbo', aliases: ['gpt4-turbo'], provider: 'openai', providerModelId: 'gpt-4-turbo', capabilities: chat({ vision: true }), contextWindow: 128_000, maxOutputTokens: 4_096, reasoning: false },
  { id: 'text-embedding-3-small', aliases: [], provider: 'openai', providerModelId: 'text-embedding-3-small', capabilities: embed, contextWindow: 8_191, maxOutputTokens: 0, reasoning: false, embeddingDimensions: 1536 },
  { id: 'text-embedding-3-large', aliases: [], provider: 'openai', providerModelId: 'text-embedding-3-large', capabilities: embed, contextWindow: 8_191, maxOutputTokens: 0, reasoning: false, embeddingDimensions: 3072 },

  // Anthropic
  { id: 'claude-sonnet-4', aliases: ['claude-sonnet-4-0', 'claude-4-sonnet'], provider: 'anthropic', providerModelId: 'claude-sonnet-4-20250514', capabilities: chat({ vision: true }), contextWindow: 200_000, maxOutputTokens: 64_000, reasoning: false },
  { id: 'claude-3.5-sonnet', aliases: ['claude-3-5-sonnet', 'claude-3-5-sonnet-latest'], provider: 'anthropic', providerModelId: 'claude-3-5-sonnet-20241022', capabilities: chat({ vision: true }), contextWindow: 200_000, maxOutputTokens: 8_192, reasoning: false },
  { id: 'claude-3-haiku', aliases: [], provider: 'anthropic', providerModelId: 'claude-3-haiku-20240307', capabilities: chat({ vision: true }), contextWindow: 200_000, maxOutputTokens: 4_096, reasoning: false },

  // Google
  { id: 'gemini-2.0-flash', aliases: ['gemini-2-flash'], provider: 'google', providerModelId: 'gemini-2.0-flash', capabilities: chat({ vision: true }), contextWindow: 1_048_576, maxOutputTokens: 8_192, reasoning: false },
  { id: 'gemini-1.5-pro', aliases: [], provider: 'google', providerModelId: 'gemini-1.5-pro', capabilities: chat({ vision: true }), contextWindow: 2_097_152, maxOutputTokens: 8_192, reasoning: false },
  { id: 'gemini-1.5-flash', aliases: [], provider: 'google', providerModelId: 'gemini-1.5-flash', capabilities: chat({ vision: true }), contextWindow: 1_048_576, maxOutputTokens: 8_192, reasoning: false },

  // Groq
  { id: 'llama-3.3-70b', aliases: ['llama-3.3-70b-versatile'], provider: 'groq', providerModelId: 'llama-3.3-70b-versatile', capabilities: chat(), contextWindow: 131_072, maxOutputTokens: 32_768, reasoning: false },
  { id: 'mixtral-8x7b', aliases: ['mixtral-8x7b-32768'], provider: 'groq', providerModelId: 'mixtral-8x7b-32768', capabilities: chat(), contextWindow: 32_768, maxOutputTokens: 32_768, reasoning: false },
  { id: 'gemma2-9b', aliases: ['gemma2-9b-it'], provider: 'groq', providerModelId: 'gemma2-9b-it', capabilities: chat(), contextWindow: 8_192, maxOutputTokens: 8_192, reasoning: false },

  // Mistral ("-latest" ids follow Mistral's current release of each line)
  { id: 'mistral-large', aliases: ['mistral-large-latest'], provider: 'mistral', providerModelId: 'mistral-large-latest', capabilities: chat(), contextWindow: 131_072, maxOutputTokens: 131_072, reasoning: false },
  { id: 'mistral-small', aliases: ['mistral-small-latest'], provider: 'mistral', providerModelId: 'mistral-small-latest', capabilities: chat({ vision: true }), contextWindow: 131_072, maxOutputTokens: 131_072, reasoning: false },
  { id: 'open-mixtral', aliases: ['open-mixtral-8x7b'], provider: 'mistral', providerModelId: 'open-mixtral-8x7b', capabilities: chat(), contextWindow: 32_768, maxOutputTokens: 32_768, reasoning: false },
  { id: 'mistral-embed', aliases: [], provider: 'mistral', providerModelId: 'mistral-embed', capabilities: embed, contextWindow: 8_192, maxOutputTokens: 0, reasoning: false, embeddingDimensions: 1024 },

  // DeepSeek. deepseek-coder was merged into deepseek-chat, which DeepSeek now serves in its place.
  { id: 'deepseek-chat', aliases: [], provider: 'deepseek', providerModelId: 'deepseek-chat', capabilities: chat(), contextWindow: 131_072, maxOutputTokens: 8_192, reasoning: false },
  { id: 'deepseek-coder', aliases: [], provider: 'deepseek', providerModelId: 'deepseek-chat', capabilities: chat(), contextWindow: 131_072, maxOutputTokens: 8_192, reasoning: false },
  { id: 'deepseek-reasoner', aliases: ['deepseek-r1'], provider: 'deepseek', providerModelId: 'deepseek-reasoner', capabilities: chat(), contextWindow: 131_072, maxOutputTokens: 65_536, reasoning: true },
];
