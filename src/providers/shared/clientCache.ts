import { createHash } from 'node:crypto';
import type { ProviderCredentials } from '../types.ts';

/**
 * SDK clients keyed by (key fingerprint, base URL), least recently used evicted first. Building a
 * client allocates an HTTP stack per call otherwise; the key itself is never a map key, only its hash.
 */
export class ClientCache<Client> {
  readonly #entries = new Map<string, Client>();
  readonly #limit: number;
  readonly #build: (creds: ProviderCredentials) => Client;

  constructor(build: (creds: ProviderCredentials) => Client, limit = 64) {
    this.#build = build;
    this.#limit = Math.max(1, limit);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(creds: ProviderCredentials): Client {
    const id = `${fingerprint(creds.apiKey)}|${creds.baseUrl ?? ''}`;
    const hit = this.#entries.get(id);
    if (hit !== undefined) {
      // Re-insert to mark it most recently used (Map keeps insertion order).
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      return hit;
    }
    const client = this.#build(creds);
    this.#entries.set(id, client);
    while (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return client;
  }
}

export function fingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 32);
}
