import { describe, expect, it } from '@jest/globals';
import { MODELS, PRICE_TABLE, UnknownModelError, closeMatches, findModel, listModels, priceFor, resolveModel } from '../../src/catalog/index.ts';
import { DomainRejection } from '../../src/domain/shared/errors.ts';
import { PROVIDERS } from '../../src/providers/types.ts';

const SPEC: Record<string, string[]> = {
  openai: ['gpt-4o', 'gpt-4o-mini', 'o1', 'gpt-4-turbo', 'text-embedding-3-small', 'text-embedding-3-large'],
  anthropic: ['claude-sonnet-4', 'claude-3.5-sonnet', 'claude-3-haiku'],
  google: ['gemini-2.0-flash', 'gemini-1.5-pro', 'gemini-1.5-flash'],
  groq: ['llama-3.3-70b', 'mixtral-8x7b', 'gemma2-9b'],
  mistral: ['mistral-large', 'mistral-small', 'open-mixtral', 'mistral-embed'],
  deepseek: ['deepseek-chat', 'deepseek-coder', 'deepseek-reasoner'],
};

function rejection(fn: () => unknown): UnknownModelError {
  try { fn(); } catch (err) { expect(err).toBeInstanceOf(UnknownModelError); return err as UnknownModelError; }
  throw new Error('expected a rejection');
}

describe('model catalog data', () => {
  it('lists every model the product names, under its provider', () => {
    for (const [provider, ids] of Object.entries(SPEC)) {
      expect(listModels({ provider: provider as never }).map((m) => m.id).sort()).toEqual([...ids].sort());
    }
    expect(MODELS).toHaveLength(Object.values(SPEC).flat().length);
  });

  it("maps gateway ids to the providers' real model ids", () => {
    const real = (id: string) => findModel(id)!.providerModelId;
    expect(real('claude-sonnet-4')).toBe('claude-sonnet-4-20250514');
    expect(real('claude-3.5-sonnet')).toBe('claude-3-5-sonnet-20241022');
    expect(real('claude-3-haiku')).toBe('claude-3-haiku-20240307');
    expect(real('llama-3.3-70b')).toBe('llama-3.3-70b-versatile');
    expect(real('gemma2-9b')).toBe('gemma2-9b-it');
    expect(real('mixtral-8x7b')).toBe('mixtral-8x7b-32768');
    expect(real('mistral-large')).toBe('mistral-large-latest');
    expect(real('open-mixtral')).toBe('open-mixtral-8x7b');
  });

  it('flags the reasoning models and separates chat from embedding models', () => {
    expect(MODELS.filter((m) => m.reasoning).map((m) => m.id).sort()).toEqual(['deepseek-reasoner', 'o1']);
    expect(listModels({ capability: 'embed' }).map((m) => m.id).sort()).toEqual(['mistral-embed', 'text-embedding-3-large', 'text-embedding-3-small']);
    for (const m of MODELS) {
      expect(m.capabilities.chat).toBe(!m.capabilities.embed);
      expect(m.contextWindow).toBeGreaterThan(0);
      if (m.capabilities.chat) expect(m.maxOutputTokens).toBeGreaterThan(0);
      else expect(m.embeddingDimensions).toBeGreaterThan(0);
    }
  });

  it('prices every catalogued model, and prices nothing for an unknown provider', () => {
    for (const m of MODELS) expect(priceFor(m.provider, m.providerModelId)).not.toBeNull();
    for (const key of Object.keys(PRICE_TABLE.prices)) expect(PROVIDERS).toContain(key.split('/')[0]);
    expect(PRICE_TABLE.version).toBe('2026-12-01');
    expect(PRICE_TABLE.takenOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const p of Object.values(PRICE_TABLE.prices)) {
      expect(p.inputPerMTok).toBeGreaterThan(0);
      expect(p.outputPerMTok).toBeGreaterThanOrEqual(0);
      if (p.cacheReadPerMTok !== undefined) expect(p.cacheReadPerMTok).toBeLessThan(p.inputPerMTok);
    }
  });
});

describe('resolveModel', () => {
  it('resolves a catalog id or alias, case-insensitively, with its price', () => {
    expect(resolveModel('claude-sonnet-4')).toMatchObject({
      requestedId: 'claude-sonnet-4', id: 'claude-sonnet-4', provider: 'anthropic', providerModelId: 'claude-sonnet-4-20250514',
      price: { inputPerMTok: 3, outputPerMTok: 15 },
    });
    expect(resolveModel(' Claude-3-5-Sonnet ')).toMatchObject({ requestedId: 'Claude-3-5-Sonnet', id: 'claude-3.5-sonnet' });
    expect(resolveModel('llama-3.3-70b-versatile').id).toBe('llama-3.3-70b');
  });

  it('resolves provider/model-id to the catalogued model when it is one', () => {
    expect(resolveModel('anthropic/claude-sonnet-4-20250514')).toMatchObject({ id: 'claude-sonnet-4', requestedId: 'anthropic/claude-sonnet-4-20250514' });
    expect(resolveModel('groq/llama-3.3-70b')).toMatchObject({ id: 'llama-3.3-70b', providerModelId: 'llama-3.3-70b-versatile' });
    expect(resolveModel('OpenAI/gpt-4o').id).toBe('gpt-4o');
  });

  it('accepts any provider/model-id the catalog does not list, with no price', () => {
    const r = resolveModel('openai/gpt-4.1-nano');
    expect(r).toEqual({
      requestedId: 'openai/gpt-4.1-nano', id: 'openai/gpt-4.1-nano', provider: 'openai', providerModelId: 'gpt-4.1-nano', entry: undefined, price: null,
    });
    expect(resolveModel('groq/meta-llama/llama-4-scout-17b-16e-instruct').providerModelId).toBe('meta-llama/llama-4-scout-17b-16e-instruct');
  });

  it('does not mistake another provider\'s catalog id for this provider\'s', () => {
    expect(resolveModel('groq/gpt-4o')).toMatchObject({ provider: 'groq', providerModelId: 'gpt-4o', entry: undefined, price: null });
  });

  it('rejects an unknown name with the closest catalog ids', () => {
    const err = rejection(() => resolveModel('gpt-4-o'));
    expect(err.suggestions[0]).toBe('gpt-4o');
    expect(err.message).toMatch(/^unknown model "gpt-4-o"; did you mean gpt-4o/);
    expect(err.message).toContain('provider/model-id');
    expect(rejection(() => resolveModel('claude-sonet-4')).suggestions[0]).toBe('claude-sonnet-4');
    expect(rejection(() => resolveModel('deepseek')).suggestions).toEqual(expect.arrayContaining(['deepseek-chat', 'deepseek-coder', 'deepseek-reasoner']));
    expect(rejection(() => resolveModel('totally-unrelated-name')).suggestions).toEqual([]);
  });

  it('is a domain rejection, so the HTTP layer answers 400 rather than 500', () => {
    const err = rejection(() => resolveModel('nope'));
    expect(err).toBeInstanceOf(DomainRejection);
    expect(err.code).toBe('invalid');
  });

  it('rejects an unknown provider, a malformed model id, an empty and an overlong name precisely', () => {
    expect(rejection(() => resolveModel('acme/gpt-4o')).message).toBe(
      'unknown provider "acme" in model "acme/gpt-4o"; providers are openai, anthropic, google, groq, mistral, deepseek');
    expect(rejection(() => resolveModel('openai/gpt 4o')).message).toMatch(/invalid model id after "openai\/"/);
    expect(rejection(() => resolveModel('openai/')).message).toMatch(/invalid model id/);
    expect(rejection(() => resolveModel('  ')).message).toBe('model is required');
    expect(rejection(() => resolveModel('x'.repeat(201))).message).toBe('model name is longer than 200 characters');
  });

  it('never echoes a long input in full', () => {
    const err = rejection(() => resolveModel('y'.repeat(150)));
    expect(err.message.length).toBeLessThan(250);
  });

  it('refuses a catalogued model that lacks a required capability, naming ones that have it', () => {
    const err = rejection(() => resolveModel('text-embedding-3-small', { capability: 'chat' }));
    expect(err.message).toMatch(/^model "text-embedding-3-small" does not support chat; openai models that do: gpt-4o, gpt-4o-mini, o1, gpt-4-turbo$/);
    expect(resolveModel('mistral-embed', { capability: 'embed' }).id).toBe('mistral-embed');
    // Uncatalogued models are the caller's responsibility: nothing is known to refuse them on.
    expect(resolveModel('openai/some-new-model', { capability: 'chat' }).entry).toBeUndefined();
  });
});

describe('closeMatches', () => {
  it('orders by closeness and caps the list', () => {
    expect(closeMatches('gemini-1.5-flsh')[0]).toBe('gemini-1.5-flash');
    expect(closeMatches('gpt', 2)).toHaveLength(2);
  });
});
