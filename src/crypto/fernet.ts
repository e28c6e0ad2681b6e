/**
 * Fernet (https://github.com/fernet/spec, version 0x80) on node:crypto.
 *
 * Why not the `fernet` npm package (0.4.0, crypto-js 3.1.8) that is listed in package.json: it was
 * audited against the spec's published vectors and found unfit, so nothing imports it.
 * - Importing it assigns an enumerable `String.prototype.lpad` for the whole process, so every
 *   `for...in` over a string afterwards also yields "lpad".
 * - A caller-supplied IV is ignored: `ArrayToHex` walks the array with `for...in`, i.e. over its
 *   indices, so every explicit IV becomes 00 01 .. 0f. The spec's generate vector passes only because
 *   its IV happens to be exactly that sequence.
 * - A timestamp that is not whole seconds is hex-encoded with a fraction ("1dc09eb0.8"), producing a
 *   token whose fields are shifted, i.e. garbage.
 * - Decryption checks neither that the ciphertext is a whole number of AES blocks nor the PKCS#7
 *   padding: of the spec's invalid.json, "payload size not multiple of block size", "payload padding
 *   error" and "incorrect IV" are accepted (as "" or "\u0010"), as are "trailing characters after b64
 *   padding" and "invalid characters in b64" (its base64 decoding skips what it does not understand).
 * - The current time cannot be injected and the default TTL is 60 s, so verify.json cannot be run and
 *   a stored secret older than a minute is refused unless every caller remembers `ttl: 0`.
 * - Plaintext is forced through UTF-8 both ways, so arbitrary bytes do not round-trip.
 * - Keys and the default TTL live in shared mutable module state (`fernet.setSecret`).
 * Its HMAC comparison (XOR-accumulate over 64 hex characters) and its IV source (crypto.randomBytes)
 * are acceptable; the defects above are not.
 *
 * This implementation verifies the HMAC (in constant time) before looking at anything else derived
 * from the token, so a forged timestamp is reported as tampering rather than as expiry; acceptance
 * is exactly that of the spec's verification steps.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 0x80;
const KEY_BYTES = 32;
const IV_BYTES = 16;
const BLOCK_BYTES = 16;
const HMAC_BYTES = 32;
const HEADER_BYTES = 1 + 8 + IV_BYTES;
// Padding always adds at least one block, so the shortest valid token carries one ciphertext block.
const MIN_TOKEN_BYTES = HEADER_BYTES + BLOCK_BYTES + HMAC_BYTES;
/** Tokens here carry keys and credentials; anything larger is a mistake, not a use case. */
export const MAX_PLAINTEXT_BYTES = 64 * 1024;
const MAX_TOKEN_BYTES = MIN_TOKEN_BYTES + MAX_PLAINTEXT_BYTES;
/** Tokens dated further ahead than this are refused when a TTL applies (the reference value). */
const MAX_CLOCK_SKEW_SECONDS = 60;

export class FernetError extends Error {
  override name = 'FernetError';
}
/** The key is not 32 bytes of base64url. The message never contains the key. */
export class FernetKeyError extends FernetError {
  override name = 'FernetKeyError';
}
/** Malformed, tampered with, or made with another key. */
export class FernetTokenError extends FernetError {
  override name = 'FernetTokenError';
}
/** Authentic, but older than the TTL or dated implausibly far in the future. */
export class FernetExpiredError extends FernetError {
  override name = 'FernetExpiredError';
}

export interface EncryptOptions {
  /** Creation time recorded in the token; defaults to the current time. */
  now?: Date;
  /** Only for reproducing published vectors: reusing an IV under one key leaks plaintext relations. */
  iv?: Buffer;
}

export interface DecryptOptions {
  /** Refuse tokens older than this; no age limit when absent. */
  ttlSeconds?: number;
  now?: Date;
}

const BASE64URL_PADDED = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Strict base64url: only the URL-safe alphabet, padding only at the end, and the canonical encoding
 * of the bytes it yields (Buffer.from alone silently skips characters it does not know).
 */
function decodeBase64url(text: string): Buffer | undefined {
  if (!BASE64URL_PADDED.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  const padded = text.length !== body.length;
  if (padded && text.length % 4 !== 0) return undefined;
  if (body.length % 4 === 1) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.toString('base64url') !== body) return undefined;
  return bytes;
}

function encodeBase64urlPadded(bytes: Buffer): string {
  return bytes.toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}

interface FernetKey {
  signing: Buffer;
  encryption: Buffer;
}

function parseKey(keyB64url: string): FernetKey {
  const bytes = typeof keyB64url === 'string' && keyB64url.length <= 64 ? decodeBase64url(keyB64url) : undefined;
  if (!bytes || bytes.length !== KEY_BYTES) {
    throw new FernetKeyError('a Fernet key must be 32 bytes encoded as base64url');
  }
  return { signing: bytes.subarray(0, 16), encryption: bytes.subarray(16) };
}

function toSeconds(now: Date): number {
  const ms = now.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError('now must be a valid date after 1970');
  return Math.floor(ms / 1000);
}

/** A new random key in the spec's format (44 characters of padded base64url). */
export function generateFernetKey(): string {
  return encodeBase64urlPadded(randomBytes(KEY_BYTES));
}

/** True when `value` is a well-formed Fernet key; never throws. */
export function isFernetKey(value: string): boolean {
  try {
    parseKey(value);
    return true;
  } catch {
    return false;
  }
}

export function fernetEncrypt(keyB64url: string, plaintext: Buffer | string, options: EncryptOptions = {}): string {
  const key = parseKey(keyB64url);
  const message = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  if (!Buffer.isBuffer(message)) throw new TypeError('plaintext must be a string or a Buffer');
  if (message.length > MAX_PLAINTEXT_BYTES) {
    throw new RangeError(`plaintext is ${message.length} bytes; the limit is ${MAX_PLAINTEXT_BYTES}`);
  }
  const iv = options.iv ?? randomBytes(IV_BYTES);
  if (!Buffer.isBuffer(iv) || iv.length !== IV_BYTES) throw new RangeError('iv must be 16 bytes');

  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(VERSION, 0);
  header.writeBigUInt64BE(BigInt(toSeconds(options.now ?? new Date())), 1);
  iv.copy(header, 9);

  // node:crypto applies PKCS#7 padding by default, which is what the spec prescribes.
  const cipher = createCipheriv('aes-128-cbc', key.encryption, iv);
  const ciphertext = Buffer.concat([cipher.update(message), cipher.final()]);
  const signed = Buffer.concat([header, ciphertext]);
  const hmac = createHmac('sha256', key.signing).update(signed).digest();
  return encodeBase64urlPadded(Buffer.concat([signed, hmac]));
}

export function fernetDecrypt(keyB64url: string, token: string, options: DecryptOptions = {}): Buffer {
  const key = parseKey(keyB64url);
  if (options.ttlSeconds !== undefined && !(Number.isFinite(options.ttlSeconds) && options.ttlSeconds >= 0)) {
    throw new RangeError('ttlSeconds must be a non-negative number');
  }
  // The longest valid token in base64 is 4/3 of its bytes; a longer string is refused before decoding.
  if (typeof token !== 'string' || token.length > Math.ceil(MAX_TOKEN_BYTES / 3) * 4) {
    throw new FernetTokenError('token is not a string of acceptable length');
  }
  const bytes = decodeBase64url(token);
  if (!bytes) throw new FernetTokenError('token is not valid base64url');
  if (bytes.length < MIN_TOKEN_BYTES) throw new FernetTokenError('token is too short');
  if (bytes[0] !== VERSION) throw new FernetTokenError('token version is not 0x80');

  const signed = bytes.subarray(0, bytes.length - HMAC_BYTES);
  const expected = createHmac('sha256', key.signing).update(signed).digest();
  if (!timingSafeEqual(expected, bytes.subarray(bytes.length - HMAC_BYTES))) {
    throw new FernetTokenError('token signature does not match');
  }

  if (options.ttlSeconds !== undefined) {
    const issuedAt = bytes.readBigUInt64BE(1);
    const now = BigInt(toSeconds(options.now ?? new Date()));
    if (issuedAt + BigInt(Math.floor(options.ttlSeconds)) < now) throw new FernetExpiredError('token has expired');
    if (now + BigInt(MAX_CLOCK_SKEW_SECONDS) < issuedAt) throw new FernetExpiredError('token is dated in the future');
  }

  const ciphertext = bytes.subarray(HEADER_BYTES, bytes.length - HMAC_BYTES);
  if (ciphertext.length % BLOCK_BYTES !== 0) {
    throw new FernetTokenError('token ciphertext is not a whole number of blocks');
  }
  try {
    const decipher = createDecipheriv('aes-128-cbc', key.encryption, bytes.subarray(9, HEADER_BYTES));
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    // Reachable only with a correct HMAC, so this reveals nothing a key holder could not see.
    throw new FernetTokenError('token padding is invalid');
  }
}
