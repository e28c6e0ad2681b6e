/**
 * Sealing provider keys for the event log. An event carries only what `sealSecret` returns: the
 * Fernet ciphertext, the id of the data key that made it, a keyed fingerprint and the last four
 * characters. Destroying the data key (`shredSecret`) leaves those events intact but unreadable.
 *
 * The fingerprint is an HMAC under a key kept (wrapped) in the database rather than derived from a
 * master key, so it survives master-key rotation: the same provider key fingerprints the same before
 * and after. Being keyed, it cannot be used to confirm a guessed key without that key.
 */
import { createHmac } from 'node:crypto';
import { FernetError, fernetDecrypt, fernetEncrypt } from './fernet.ts';
import { DataKeyCorruptError, DataKeyDestroyedError, type DataKeys } from './dataKeys.ts';

export interface SealedSecret {
  /** Fernet token of the secret under its own data key. */
  ciphertext: string;
  dataKeyId: string;
  /** Hex HMAC-SHA256 prefix: equal for equal secrets within one database, meaningless elsewhere. */
  fingerprint: string;
  /** The last four characters, or '' when the secret is too short to reveal any. */
  last4: string;
}

/** The secret's data key was destroyed: it cannot be recovered by anyone. */
export class SecretShreddedError extends Error {
  override name = 'SecretShreddedError';
}

/** The ciphertext or its wrapped data key failed authentication. */
export class SecretTamperedError extends Error {
  override name = 'SecretTamperedError';
}

/** Provider keys are well under this; the limit only stops misuse. */
export const MAX_SECRET_CHARS = 16 * 1024;
const FINGERPRINT_HEX_CHARS = 32;
/** Below this length the last four characters would give away too much of the secret. */
const MIN_CHARS_TO_SHOW_LAST4 = 16;

function assertSealable(plaintext: string): void {
  if (typeof plaintext !== 'string' || plaintext.length === 0) throw new TypeError('a secret must be a non-empty string');
  if (plaintext.length > MAX_SECRET_CHARS) {
    throw new RangeError(`a secret may be at most ${MAX_SECRET_CHARS} characters, got ${plaintext.length}`);
  }
}

/** The keyed fingerprint `sealSecret` would give this secret, for comparing without decrypting. */
export async function fingerprintSecret(plaintext: string, keys: DataKeys): Promise<string> {
  assertSealable(plaintext);
  const key = await keys.fingerprintKey();
  return createHmac('sha256', key).update(plaintext, 'utf8').digest('hex').slice(0, FINGERPRINT_HEX_CHARS);
}

export function lastFour(plaintext: string): string {
  const chars = [...plaintext];
  return chars.length >= MIN_CHARS_TO_SHOW_LAST4 ? chars.slice(-4).join('') : '';
}

/** Encrypts one secret under a data key of its own, so it can be shredded on its own. */
export async function sealSecret(plaintext: string, keys: DataKeys): Promise<SealedSecret> {
  assertSealable(plaintext);
  const fingerprint = await fingerprintSecret(plaintext, keys);
  const dataKey = await keys.create();
  return {
    ciphertext: fernetEncrypt(dataKey.key, plaintext),
    dataKeyId: dataKey.id,
    fingerprint,
    last4: lastFour(plaintext),
  };
}

/** The plaintext, held only in memory; never log or persist the result. */
export async function openSecret(sealed: Pick<SealedSecret, 'ciphertext' | 'dataKeyId'>, keys: DataKeys): Promise<string> {
  if (typeof sealed?.ciphertext !== 'string' || typeof sealed.dataKeyId !== 'string') {
    throw new TypeError('a sealed secret needs string ciphertext and dataKeyId');
  }
  let dataKey: string;
  try {
    dataKey = await keys.unwrap(sealed.dataKeyId);
  } catch (err) {
    if (err instanceof DataKeyDestroyedError) {
      throw new SecretShreddedError(`the secret's data key ${sealed.dataKeyId} has been destroyed`);
    }
    if (err instanceof DataKeyCorruptError) throw new SecretTamperedError(err.message);
    throw err;
  }
  try {
    return fernetDecrypt(dataKey, sealed.ciphertext).toString('utf8');
  } catch (err) {
    if (err instanceof FernetError) {
      throw new SecretTamperedError(`the secret's ciphertext was rejected: ${err.message}`);
    }
    throw err;
  }
}

/** Destroys the secret's data key; every copy of its ciphertext becomes unreadable. */
export async function shredSecret(sealed: Pick<SealedSecret, 'dataKeyId'>, keys: DataKeys): Promise<boolean> {
  return keys.destroy(sealed.dataKeyId);
}

const DISPLAY_SAFE = /[^A-Za-z0-9_-]/g;

/** A display form such as `sk-...a1b2`; only characters that cannot break out of markup survive. */
export function maskKey(last4: string, prefix = ''): string {
  const tail = String(last4).replace(DISPLAY_SAFE, '').slice(-4);
  const head = String(prefix).replace(DISPLAY_SAFE, '').slice(0, 12);
  return `${head}...${tail}`;
}
