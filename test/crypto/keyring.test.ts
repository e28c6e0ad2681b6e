import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log.ts';
import { generateFernetKey } from '../../src/crypto/fernet.ts';
import {
  MASTER_KEY_FILE, MasterKeyConfigError, formatMasterKeys, loadKeyring, parseMasterKeys,
} from '../../src/crypto/keyring.ts';

const keyA = generateFernetKey();
const keyB = generateFernetKey();

function configError(text: string): string {
  try {
    parseMasterKeys(text);
  } catch (err) {
    expect(err).toBeInstanceOf(MasterKeyConfigError);
    return (err as Error).message;
  }
  throw new Error('expected MASTER_KEYS to be refused');
}

describe('MASTER_KEYS parsing', () => {
  test('the first key wraps, every key is known by id', () => {
    const ring = parseMasterKeys(`new:${keyA}, old:${keyB}`);
    expect(ring.primary).toEqual({ id: 'new', key: keyA });
    expect(ring.ids).toEqual(['new', 'old']);
    expect(ring.get('old')?.key).toBe(keyB);
    expect(ring.get('other')).toBeUndefined();
  });

  test.each([
    ['an empty entry', `a:${keyA},,b:${keyB}`, /MASTER_KEYS entry 2 is empty/],
    ['a missing colon', keyA, /MASTER_KEYS entry 1 has no ':'/],
    ['a bad id', `bad id!:${keyA}`, /MASTER_KEYS entry 1: the id must be/],
    ['a short key', `a:${keyA.slice(0, 30)}`, /MASTER_KEYS entry 1: the key must be 32 bytes/],
    ['a key in standard base64', `a:${keyA.replaceAll('-', '+').replaceAll('_', '/')}A`, /MASTER_KEYS entry 1: the key must be 32 bytes/],
    ['a repeated id', `a:${keyA},a:${keyB}`, /MASTER_KEYS entry 2 repeats the id/],
    ['too many keys', Array.from({ length: 17 }, (_, i) => `k${i}:${keyA}`).join(','), /at most 16/],
  ])('%s is refused with a message naming the variable', (_what, text, expected) => {
    const message = configError(text);
    expect(message).toMatch(expected);
    expect(message).not.toContain(keyA.slice(0, 20));
    expect(message).not.toContain(keyB.slice(0, 20));
  });

  test('a key pasted where the id belongs is not echoed', () => {
    const message = configError(`${keyA.replace(/=$/, '')}:`);
    expect(message).not.toContain(keyA.slice(0, 20));
  });

  test('the keyring round-trips through its text form', () => {
    const text = formatMasterKeys([{ id: 'x', key: keyA }, { id: 'y', key: keyB }]);
    expect(parseMasterKeys(text).ids).toEqual(['x', 'y']);
  });
});

describe('master key file (no MASTER_KEYS)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'gw-keyring-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  test('generated once, owner-only, reused, and never logged', async () => {
    const dataDir = join(dir, 'data');
    const lines: string[] = [];
    const log = createLogger('debug', {}, (l) => lines.push(l));
    const first = await loadKeyring({ dataDir, log });
    const path = join(dataDir, MASTER_KEY_FILE);

    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8').trim()).toBe(`${first.primary.id}:${first.primary.key}`);
    expect(first.primary.id).toMatch(/^local-[0-9a-f]{8}$/);

    const second = await loadKeyring({ dataDir, log });
    expect(second.primary).toEqual(first.primary);

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', path });
    expect(lines.join('\n')).not.toContain(first.primary.key);
    expect(lines.join('\n')).not.toContain(first.primary.key.slice(0, 12));
  });

  test('processes starting together agree on one key and leave no drafts behind', async () => {
    const dataDir = join(dir, 'data');
    const rings = await Promise.all(Array.from({ length: 8 }, () => loadKeyring({ dataDir })));
    expect(new Set(rings.map((r) => r.primary.key)).size).toBe(1);
    expect(readFileSync(join(dataDir, MASTER_KEY_FILE), 'utf8').trim().split(',')).toHaveLength(1);
    expect(readdirSync(dataDir)).toEqual([MASTER_KEY_FILE]);
  });

  test('MASTER_KEYS wins over the file and no file is written', async () => {
    const ring = await loadKeyring({ dataDir: dir, masterKeys: `env:${keyA}` });
    expect(ring.primary.id).toBe('env');
    expect(() => statSync(join(dir, MASTER_KEY_FILE))).toThrow();
  });

  test('a key file readable by others is refused, naming the file but not the key', async () => {
    const path = join(dir, MASTER_KEY_FILE);
    writeFileSync(path, `k:${keyA}\n`, { mode: 0o600 });
    chmodSync(path, 0o644);
    await expect(loadKeyring({ dataDir: dir })).rejects.toThrow(/master\.key is readable by other users \(mode 644\)/);
    chmodSync(path, 0o600);
    expect((await loadKeyring({ dataDir: dir })).primary.id).toBe('k');
  });

  test('a malformed key file is refused naming the file', async () => {
    const path = join(dir, MASTER_KEY_FILE);
    writeFileSync(path, 'k:not-a-key\n', { mode: 0o600 });
    await expect(loadKeyring({ dataDir: dir })).rejects.toThrow(`${path} entry 1: the key must be 32 bytes`);
    writeFileSync(path, '\n', { mode: 0o600 });
    await expect(loadKeyring({ dataDir: dir })).rejects.toThrow(`${path} is empty`);
  });
});
