import { describe, expect, it } from '@jest/globals';
import { checkHostRoot, checkUrlShape } from '../../src/providers/shared/baseUrl.ts';
import { callSignal } from '../../src/providers/shared/callSignal.ts';
import { ClientCache, fingerprint } from '../../src/providers/shared/clientCache.ts';
import { kindForStatus } from '../../src/providers/shared/httpStatus.ts';
import { errorText, MAX_ERROR_TEXT, scrubKey } from '../../src/providers/shared/keyScrub.ts';
import { parseDurationMs, parseRetryAfter, retryAfterMs } from '../../src/providers/shared/retryAfter.ts';

describe('scrubKey', () => {
  const key = 'sk-proj-Ab12Cd34Ef56Gh78Ij90KlMnOpQrStUv';

  it('removes the whole key wherever it appears', () => {
    expect(scrubKey(`bad key "${key}" given`, key)).toBe('bad key "[redacted]" given');
  });

  it('removes masked echoes showing the start and end of the key', () => {
    const text = `Incorrect API key provided: ${key.slice(0, 10)}***********${key.slice(-4)}. You can find your API key at https://platform.openai.com.`;
    const out = scrubKey(text, key);
    expect(out).not.toContain(key.slice(-4));
    expect(out).not.toContain(key.slice(0, 10));
    expect(out).toContain('https://platform.openai.com');
  });

  it('removes a long run of the key even without mask characters', () => {
    expect(scrubKey(`fragment ${key.slice(5, 20)} leaked`, key)).toBe('fragment [redacted] leaked');
  });

  it('leaves ordinary text alone and still masks key-shaped strings of other keys', () => {
    expect(scrubKey('rate limit exceeded, retry later', key)).toBe('rate limit exceeded, retry later');
    expect(scrubKey('other key AIzaSyA1234567890abcdefghij here', key)).toBe('other key [redacted] here');
  });
});

describe('errorText', () => {
  it('caps long provider text after scrubbing, so a key at the cut cannot survive in part', () => {
    const key = 'sk-ant-api03-Zq8xY2kLmN4pQr7sTuVw';
    const text = `${'x'.repeat(MAX_ERROR_TEXT - 5)} ${key} ${'y'.repeat(5000)}`;
    const out = errorText(text, key);
    expect(out.length).toBeLessThanOrEqual(MAX_ERROR_TEXT + 1);
    expect(out).not.toContain(key.slice(0, 8));
    expect(errorText('short', key)).toBe('short');
  });
});

describe('retry-after parsing', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delta-seconds, decimals included', () => {
    expect(parseRetryAfter('20', now)).toBe(20_000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores garbage and caps absurd values at a day', () => {
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('99999999', now)).toBe(86_400_000);
  });

  it('prefers retry-after-ms when a provider sends both', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '1500', 'retry-after': '2' }), now)).toBe(1500);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });

  it('reads protobuf durations', () => {
    expect(parseDurationMs('17s')).toBe(17_000);
    expect(parseDurationMs('0.250s')).toBe(250);
    expect(parseDurationMs('17')).toBeUndefined();
    expect(parseDurationMs(undefined)).toBeUndefined();
  });
});

describe('ClientCache', () => {
  it('reuses a client per key and base URL and evicts the least recently used', () => {
    let built = 0;
    const cache = new ClientCache(() => ({ n: ++built }), 2);
    const a = cache.get({ apiKey: 'key-a' });
    expect(cache.get({ apiKey: 'key-a' })).toBe(a);
    const b = cache.get({ apiKey: 'key-b' });
    expect(cache.get({ apiKey: 'key-a', baseUrl: 'http://127.0.0.1:1' })).not.toBe(a);
    expect(cache.size).toBe(2);
    // key-a (default URL) was least recently used, so it was evicted; key-b stays.
    expect(cache.get({ apiKey: 'key-b' })).toBe(b);
    expect(cache.get({ apiKey: 'key-a' })).not.toBe(a);
    expect(built).toBe(4);
  });

  it('fingerprints keys without containing them', () => {
    expect(fingerprint('sk-secret-value')).not.toContain('secret');
    expect(fingerprint('sk-secret-value')).toHaveLength(32);
  });
});

describe('base URL checks', () => {
  it('accepts http and https roots and rejects other shapes', () => {
    expect(checkUrlShape(new URL('https://api.example.com/v1'))).toBeUndefined();
    expect(checkUrlShape(new URL('ftp://api.example.com'))).toMatch(/http or https/);
    expect(checkHostRoot(new URL('https://api.example.com/v1'), 'Example', '/v1/things')).toMatch(/without a path.*\/v1\/things.*https:\/\/api\.example\.com$/);
  });
});

describe('callSignal', () => {
  it('tells a deadline from a caller abort', async () => {
    const deadline = callSignal({ signal: new AbortController().signal, timeoutMs: 20 });
    await new Promise((r) => setTimeout(r, 60));
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.timedOut()).toBe(true);
    expect(deadline.cancelled()).toBe(false);
    expect((deadline.signal.reason as Error).name).toBe('TimeoutError');

    const controller = new AbortController();
    using cancelled = callSignal({ signal: controller.signal, timeoutMs: 10_000 });
    controller.abort();
    expect(cancelled.signal.aborted).toBe(true);
    expect(cancelled.cancelled()).toBe(true);
    expect(cancelled.timedOut()).toBe(false);
  });

  it('ends its deadline with the scope that declared it', async () => {
    let signal: AbortSignal;
    {
      using call = callSignal({ signal: new AbortController().signal, timeoutMs: 20 });
      signal = call.signal;
    }
    await new Promise((r) => setTimeout(r, 60));
    expect(signal.aborted).toBe(false);
  });
});

describe('kindForStatus', () => {
  it.each([
    [401, 'authentication'], [403, 'authentication'], [429, 'rate_limited'], [529, 'overloaded'],
    [400, 'bad_request'], [404, 'bad_request'], [422, 'bad_request'], [408, 'upstream'], [500, 'upstream'],
    [503, 'upstream'], [undefined, 'connection'],
  ] as const)('maps %s to %s', (status, kind) => {
    expect(kindForStatus(status)).toBe(kind);
  });
});
