import { describe, expect, it } from '@jest/globals';
import { adapters, getAdapter } from '../../src/providers/registry.ts';
import { PROVIDERS } from '../../src/providers/types.ts';

describe('provider registry', () => {
  it.each(PROVIDERS)('serves the %s adapter under its own name', (name) => {
    expect(getAdapter(name).name).toBe(name);
    expect(adapters[name]).toBe(getAdapter(name));
  });

  it('has an adapter for every provider and nothing else', () => {
    expect(Object.keys(adapters).sort()).toEqual([...PROVIDERS].sort());
  });
});
