import type { Price } from '../domain/cost.ts';
import { DomainRejection } from '../domain/shared/errors.ts';
import { PROVIDERS, type ProviderName } from '../providers/types.ts';
import { MODELS, type ModelCapabilities, type ModelEntry } from './models.ts';
import { priceFor } from './prices.ts';

export { MODELS, type ModelCapabilities, type ModelEntry } from './models.ts';
export { PRICE_TABLE, priceFor, type PriceTable } from './prices.ts';

/** What a client's model name resolved to: the provider, its model id, catalog data and price. */
export interface ResolvedModel {
  /** The name as the client gave it (trimmed). */
  requestedId: string;
  /** The catalog id, or `provider/model-id` for a model the catalog does not list. */
  id: string;
  provider: ProviderName;
  providerModelId: string;
  /** Undefined for uncatalogued models. */
  entry: ModelEntry | undefined;
  /** Null when the price table has no price: the cost is then unknown, never guessed. */
  price: Price | null;
}

/** An unknown model name, with the closest catalog ids so the client can correct a typo. */
export class UnknownModelError extends DomainRejection {
  override name = 'UnknownModelError';
  readonly suggestions: string[];
  constructor(message: string, suggestions: string[]) {
    super('invalid', message);
    this.suggestions = suggestions;
  }
}

const MAX_MODEL_NAME = 200;
// Provider model ids: letters, digits and . _ - : @ /, e.g. "accounts/x/models/y", "model@2024".
const PROVIDER_MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/;
const MAX_SUGGESTIONS = 5;

const byName = new Map<string, ModelEntry>();
for (const m of MODELS) {
  for (const name of [m.id, ...m.aliases]) {
    const key = name.toLowerCase();
    if (byName.has(key)) throw new Error(`model catalog: "${name}" is listed twice`);
    byName.set(key, m);
  }
}

/** A catalog entry by id or alias (case-insensitive), or undefined. */
export function findModel(name: string): ModelEntry | undefined {
  return byName.get(name.trim().toLowerCase());
}

export function listModels(filter: { provider?: ProviderName; capability?: keyof ModelCapabilities } = {}): ModelEntry[] {
  return MODELS.filter((m) => (!filter.provider || m.provider === filter.provider) && (!filter.capability || m.capabilities[filter.capability]));
}

/**
 * Resolves what a client asked for: a catalog id or alias, or any `provider/model-id` (catalogued
 * or not). Anything else is an UnknownModelError naming the closest catalog ids. With
 * `capability`, a catalogued model that lacks it (chat with an embedding model) is refused too.
 */
export function resolveModel(input: string, options: { capability?: keyof ModelCapabilities } = {}): ResolvedModel {
  const requestedId = typeof input === 'string' ? input.trim() : '';
  if (requestedId === '') throw new UnknownModelError('model is required', []);
  if (requestedId.length > MAX_MODEL_NAME) throw new UnknownModelError(`model name is longer than ${MAX_MODEL_NAME} characters`, []);

  const resolved = fromCatalog(requestedId) ?? fromProviderPath(requestedId);
  const need = options.capability;
  if (need && resolved.entry && !resolved.entry.capabilities[need]) {
    const fitting = listModels({ provider: resolved.provider, capability: need }).map((m) => m.id);
    throw new UnknownModelError(
      `model "${resolved.entry.id}" does not support ${need}${fitting.length ? `; ${resolved.provider} models that do: ${fitting.join(', ')}` : ''}`,
      fitting,
    );
  }
  return resolved;
}

function fromCatalog(requestedId: string): ResolvedModel | undefined {
  const entry = findModel(requestedId);
  return entry ? resolvedEntry(requestedId, entry) : undefined;
}

function resolvedEntry(requestedId: string, entry: ModelEntry): ResolvedModel {
  return {
    requestedId,
    id: entry.id,
    provider: entry.provider,
    providerModelId: entry.providerModelId,
    entry,
    price: priceFor(entry.provider, entry.providerModelId),
  };
}

function fromProviderPath(requestedId: string): ResolvedModel {
  const slash = requestedId.indexOf('/');
  if (slash < 0) throw unknownModel(requestedId);
  const provider = requestedId.slice(0, slash).toLowerCase();
  const modelId = requestedId.slice(slash + 1);
  if (!isProvider(provider)) {
    throw new UnknownModelError(
      `unknown provider ${quote(requestedId.slice(0, slash))} in model ${quote(requestedId)}; providers are ${PROVIDERS.join(', ')}`,
      [],
    );
  }
  if (!PROVIDER_MODEL_ID.test(modelId)) {
    throw new UnknownModelError(`model ${quote(requestedId)} has an invalid model id after "${provider}/"`, []);
  }
  // "anthropic/claude-sonnet-4-20250514" or "groq/llama-3.3-70b" are catalogued models by another name.
  const entry = MODELS.find((m) => m.provider === provider && m.providerModelId === modelId)
    ?? (findModel(modelId)?.provider === provider ? findModel(modelId) : undefined);
  if (entry) return resolvedEntry(requestedId, entry);
  return {
    requestedId,
    id: `${provider}/${modelId}`,
    provider,
    providerModelId: modelId,
    entry: undefined,
    price: priceFor(provider, modelId),
  };
}

function unknownModel(requestedId: string): UnknownModelError {
  const suggestions = closeMatches(requestedId);
  const hint = suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : '.';
  return new UnknownModelError(
    `unknown model ${quote(requestedId)}${hint} A model the catalog does not list can be named as provider/model-id, e.g. openai/gpt-4.1`,
    suggestions,
  );
}

/** Catalog ids within a small edit distance of the input, or sharing a long prefix, nearest first. */
export function closeMatches(input: string, limit = MAX_SUGGESTIONS): string[] {
  const needle = input.toLowerCase();
  const scored: Array<{ id: string; score: number }> = [];
  for (const m of MODELS) {
    const score = Math.min(...[m.id, ...m.aliases].map((n) => distance(needle, n.toLowerCase())));
    const related = needle.length >= 3 && (m.id.startsWith(needle) || needle.startsWith(m.id));
    const threshold = Math.max(2, Math.floor(m.id.length / 4));
    if (score <= threshold || related) scored.push({ id: m.id, score: related ? Math.min(score, threshold) : score });
  }
  return scored.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id)).slice(0, limit).map((s) => s.id);
}

/** Levenshtein distance; inputs are bounded by MAX_MODEL_NAME, so the table stays small. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function isProvider(name: string): name is ProviderName {
  return (PROVIDERS as readonly string[]).includes(name);
}

/** Echoes client input safely: quoted, and short. */
function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}
