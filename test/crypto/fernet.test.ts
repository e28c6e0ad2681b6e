import { readFileSync } from 'node:fs';
import {
  FernetExpiredError, FernetKeyError, FernetTokenError, MAX_PLAINTEXT_BYTES,
  fernetDecrypt, fernetEncrypt, generateFernetKey, isFernetKey,
} from '../../src/crypto/fernet.ts';

const vectors = <T>(name: string): T[] =>
  JSON.parse(readFileSync(new URL(`./vectors/${name}.json`, import.meta.url), 'utf8')) as T[];

interface GenerateVector { token: string; now: string; iv: number[]; src: string; secret: string }
interface VerifyVector { token: string; now: string; ttl_sec: number; src: string; secret: string }
interface InvalidVector { desc: string; token: string; now: string; ttl_sec: number; secret: string }

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';

/** Decodes, changes one byte, re-encodes: a token an attacker with no key could produce. */
function flipByte(token: string, index: number): string {
  const bytes = Buffer.from(token, 'base64url');
  const at = index < 0 ? bytes.length + index : index;
  bytes[at] = bytes[at]! ^ 0x01;
  return bytes.toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}

describe('Fernet spec vectors', () => {
  test.each(vectors<GenerateVector>('generate'))('generates $token', (v) => {
    const token = fernetEncrypt(v.secret, v.src, { now: new Date(v.now), iv: Buffer.from(v.iv) });
    expect(token).toBe(v.token);
  });

  test.each(vectors<VerifyVector>('verify'))('verifies $token', (v) => {
    const plain = fernetDecrypt(v.secret, v.token, { ttlSeconds: v.ttl_sec, now: new Date(v.now) });
    expect(plain.toString('utf8')).toBe(v.src);
  });

  test.each(vectors<InvalidVector>('invalid'))('refuses: $desc', (v) => {
    const attempt = () => fernetDecrypt(v.secret, v.token, { ttlSeconds: v.ttl_sec, now: new Date(v.now) });
    expect(attempt).toThrow(v.desc.includes('TTL') || v.desc.includes('far-future') ? FernetExpiredError : FernetTokenError);
  });

  test('all eleven invalid vectors are present, so none can silently drop out', () => {
    expect(vectors<InvalidVector>('invalid')).toHaveLength(11);
  });
});

describe('Fernet tamper resistance', () => {
  const token = fernetEncrypt(KEY, 'a provider key worth stealing', { now: new Date('2024-01-01T00:00:00Z') });
  const bytes = Buffer.from(token, 'base64url');

  test.each([
    ['version byte', 0],
    ['timestamp', 5],
    ['IV', 12],
    ['first ciphertext byte', 25],
    ['last ciphertext byte', bytes.length - 33],
    ['first HMAC byte', bytes.length - 32],
    ['last HMAC byte', -1],
  ])('a flipped %s is refused with FernetTokenError', (_what, index) => {
    expect(() => fernetDecrypt(KEY, flipByte(token, index))).toThrow(FernetTokenError);
  });

  test('a truncated token and one with a block cut out are refused', () => {
    expect(() => fernetDecrypt(KEY, token.slice(0, -4))).toThrow(FernetTokenError);
    const cut = Buffer.concat([bytes.subarray(0, 25), bytes.subarray(41)]);
    expect(() => fernetDecrypt(KEY, cut.toString('base64url'))).toThrow(FernetTokenError);
  });

  test('another key cannot open the token', () => {
    expect(() => fernetDecrypt(generateFernetKey(), token)).toThrow(FernetTokenError);
  });

  test('non-canonical base64 of the same bytes is refused', () => {
    // The character before the padding carries unused low bits; setting one changes the text but
    // not the bytes a lenient decoder returns.
    const body = token.replace(/=+$/, '');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(body.at(-1)!);
    const twisted = body.slice(0, -1) + alphabet[last ^ 0x01] + token.slice(body.length);
    expect(Buffer.from(twisted, 'base64url').equals(bytes)).toBe(true);
    expect(() => fernetDecrypt(KEY, twisted)).toThrow(FernetTokenError);
  });
});

describe('Fernet TTL', () => {
  const issued = new Date('2024-03-01T12:00:00Z');
  const token = fernetEncrypt(KEY, 'x', { now: issued });
  const at = (seconds: number) => new Date(issued.getTime() + seconds * 1000);

  test('accepted up to and including the TTL, refused one second later', () => {
    expect(fernetDecrypt(KEY, token, { ttlSeconds: 60, now: at(60) }).toString()).toBe('x');
    expect(() => fernetDecrypt(KEY, token, { ttlSeconds: 60, now: at(61) })).toThrow(FernetExpiredError);
  });

  test('no TTL means no age limit', () => {
    expect(fernetDecrypt(KEY, token, { now: at(10 * 365 * 86400) }).toString()).toBe('x');
  });

  test('a token from more than 60 s in the future is refused when a TTL applies', () => {
    expect(fernetDecrypt(KEY, token, { ttlSeconds: 3600, now: at(-60) }).toString()).toBe('x');
    expect(() => fernetDecrypt(KEY, token, { ttlSeconds: 3600, now: at(-61) })).toThrow(FernetExpiredError);
  });

  test('a forged timestamp is reported as tampering, not expiry', () => {
    expect(() => fernetDecrypt(KEY, flipByte(token, 8), { ttlSeconds: 1, now: at(3600) })).toThrow(FernetTokenError);
  });

  test('a negative TTL is a programming error', () => {
    expect(() => fernetDecrypt(KEY, token, { ttlSeconds: -1 })).toThrow(RangeError);
  });
});

describe('Fernet keys and payloads', () => {
  test('generated keys are 32 random bytes in padded base64url and differ', () => {
    const a = generateFernetKey();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(generateFernetKey()).not.toBe(a);
    expect(isFernetKey(a)).toBe(true);
  });

  test('a bad key is refused without being echoed', () => {
    const secretLooking = 'sk-not-a-fernet-key-but-a-secret-0123456789';
    for (const bad of [secretLooking, KEY.slice(0, 40), KEY.replace('-', '+'), '', `${KEY}AAAA`]) {
      let message = '';
      try { fernetEncrypt(bad, 'x'); } catch (err) {
        expect(err).toBeInstanceOf(FernetKeyError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/32 bytes/);
      if (bad) expect(message).not.toContain(bad);
    }
  });

  test('arbitrary bytes round-trip, including invalid UTF-8 and the empty message', () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]);
    expect(fernetDecrypt(KEY, fernetEncrypt(KEY, binary)).equals(binary)).toBe(true);
    expect(fernetDecrypt(KEY, fernetEncrypt(KEY, '')).length).toBe(0);
    const block = Buffer.alloc(16, 7); // an exact block gains a whole block of padding
    expect(fernetDecrypt(KEY, fernetEncrypt(KEY, block)).equals(block)).toBe(true);
  });

  test('each encryption uses a fresh IV', () => {
    const now = new Date();
    expect(fernetEncrypt(KEY, 'same', { now })).not.toBe(fernetEncrypt(KEY, 'same', { now }));
  });

  test('sizes are bounded in both directions', () => {
    expect(() => fernetEncrypt(KEY, Buffer.alloc(MAX_PLAINTEXT_BYTES + 1))).toThrow(RangeError);
    expect(() => fernetDecrypt(KEY, 'g'.repeat(200_000))).toThrow(FernetTokenError);
    const largest = Buffer.alloc(MAX_PLAINTEXT_BYTES, 1);
    expect(fernetDecrypt(KEY, fernetEncrypt(KEY, largest)).equals(largest)).toBe(true);
  });

  test('loading this module leaves String.prototype alone', () => {
    const seen: string[] = [];
    for (const k in new String('ab')) seen.push(k);
    expect(seen).toEqual(['0', '1']);
    expect(Object.prototype.hasOwnProperty.call(String.prototype, 'lpad')).toBe(false);
  });
});
