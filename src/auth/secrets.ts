import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Gateway credentials: the admin token (`za_`), dashboard tokens (`zt_`) and public API keys
 * (`zb_`). Each carries 256 random bits, so a plain SHA-256 is a sound way to store and look
 * them up (a slow password hash buys nothing against that much entropy).
 */
export type CredentialKind = 'admin' | 'token' | 'api_key';
const PREFIX: Record<CredentialKind, string> = { admin: 'za_', token: 'zt_', api_key: 'zb_' };

export function generateCredential(kind: CredentialKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

export function hashCredential(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of two secrets of any length (compares their digests). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Constant-time comparison of two hex digests. */
export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What a key list may show of a key: its prefix and nothing that helps guess the rest. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, 7);
}
