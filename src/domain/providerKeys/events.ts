import { z } from 'zod';
import { defineEvent, type EventOf } from '../shared/eventDefinition.ts';
import { PROVIDERS } from '../../providers/types.ts';

const projectId = z.string().uuid();
const provider = z.enum(PROVIDERS);

/**
 * A provider key as the log keeps it: Fernet ciphertext under a data key that lives outside the
 * log, plus what an auditor may see (a keyed fingerprint and the last four characters).
 */
export const ProviderKeySet = defineEvent('ProviderKeySet', 1, z.object({
  projectId,
  provider,
  ciphertext: z.string().min(1),
  dataKeyId: z.string().uuid(),
  fingerprint: z.string().min(8).max(64),
  last4: z.string().max(4),
  /** A well-known public prefix of the key's format (`sk-`, `sk-ant-`, `gsk_`, `AIza`), or empty. */
  keyPrefix: z.string().max(8),
  baseUrl: z.string().url().nullable(),
  /** The data key of the key this one replaced (rotation); it is destroyed once this is recorded. */
  replacedDataKeyId: z.string().uuid().nullable(),
}));

export const ProviderKeyRemoved = defineEvent('ProviderKeyRemoved', 1, z.object({
  projectId,
  provider,
  fingerprint: z.string(),
  /** Destroyed once this is recorded, so the ciphertext left in the log can never be read again. */
  dataKeyId: z.string().uuid(),
}));

export const ProviderKeyTested = defineEvent('ProviderKeyTested', 1, z.object({
  projectId,
  provider,
  fingerprint: z.string(),
  ok: z.boolean(),
  latencyMs: z.number().int().nonnegative(),
  probe: z.string().max(200).nullable(),
  error: z.object({ kind: z.string(), status: z.number().int().nullable(), message: z.string().max(2000) }).nullable(),
}));

export const providerKeyEvents = [ProviderKeySet, ProviderKeyRemoved, ProviderKeyTested] as const;

export type ProviderKeyEvent =
  | EventOf<typeof ProviderKeySet>
  | EventOf<typeof ProviderKeyRemoved>
  | EventOf<typeof ProviderKeyTested>;

export const providerKeyStream = (projectId: string, providerName: string) => `providerKey-${projectId}-${providerName}`;
