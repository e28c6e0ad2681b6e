import { describe, expect, it } from '@jest/globals';
import { getAdapter, providerNames } from '../../src/providers/registry.ts';
import { PROVIDERS } from '../../src/providers/types.ts';

describe('provider registry', () => {
  it.each(PROVIDERS)('serves the %s adapter under its own name, loading it once', async (name) => {
    const adapter = await getAdapter(name);
    expect(adapter.name).toBe(name);
    expect(await getAdapter(name)).toBe(adapter);
  });

  it('has an adapter for every provider and nothing else', () => {
    expect([...providerNames].sort()).toEqual([...PROVIDERS].sort());
  });
});
