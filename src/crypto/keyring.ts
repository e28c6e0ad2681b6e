/**
 * Master keys (key-encryption keys). They wrap the data keys and never touch the database.
 *
 * MASTER_KEYS holds `id:key,id:key,...`: the first key wraps, every listed key unwraps, so a rotation
 * is "prepend the new key, run keys:rewrap, drop the old one". Without MASTER_KEYS (the embedded
 * default) one key is generated on first start into `<DATA_DIR>/master.key`, in the same format so it
 * can later be moved into the environment verbatim.
 */
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Logger } from '../log.ts';
import { generateFernetKey, isFernetKey } from './fernet.ts';

export interface MasterKey {
  readonly id: string;
  /** A Fernet key (base64url). */
  readonly key: string;
}

export interface Keyring {
  /** The key that wraps new and re-wrapped data keys. */
  readonly primary: MasterKey;
  /** Every configured id, primary first. */
  readonly ids: readonly string[];
  get(id: string): MasterKey | undefined;
}

/** A malformed master-key setting; names the source and position, never a key. */
export class MasterKeyConfigError extends Error {
  override name = 'MasterKeyConfigError';
}

export const MASTER_KEY_FILE = 'master.key';
const MAX_KEYS = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function createKeyring(keys: readonly MasterKey[]): Keyring {
  const [primary] = keys;
  if (!primary) throw new MasterKeyConfigError('a keyring needs at least one master key');
  const byId = new Map(keys.map((k) => [k.id, k]));
  return { primary, ids: keys.map((k) => k.id), get: (id) => byId.get(id) };
}

/** Parses `id:key,id:key`; `source` names where the text came from in error messages. */
export function parseMasterKeys(text: string, source = 'MASTER_KEYS'): Keyring {
  const entries = text.split(',').map((e) => e.trim());
  if (entries.length > MAX_KEYS) {
    throw new MasterKeyConfigError(`${source}: at most ${MAX_KEYS} master keys are accepted, found ${entries.length}`);
  }
  const keys: MasterKey[] = [];
  entries.forEach((entry, index) => {
    const where = `${source} entry ${index + 1}`;
    if (!entry) throw new MasterKeyConfigError(`${where} is empty; expected id:base64urlFernetKey`);
    const colon = entry.indexOf(':');
    if (colon < 0) throw new MasterKeyConfigError(`${where} has no ':'; expected id:base64urlFernetKey`);
    const id = entry.slice(0, colon);
    const key = entry.slice(colon + 1);
    if (!KEY_ID.test(id)) {
      throw new MasterKeyConfigError(`${where}: the id must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    }
    if (!isFernetKey(key)) {
      throw new MasterKeyConfigError(`${where}: the key must be 32 bytes of base64url (a Fernet key)`);
    }
    if (keys.some((k) => k.id === id)) throw new MasterKeyConfigError(`${where} repeats the id of an earlier entry`);
    keys.push({ id, key });
  });
  return createKeyring(keys);
}

export function formatMasterKeys(keys: readonly MasterKey[]): string {
  return keys.map((k) => `${k.id}:${k.key}`).join(',');
}

export interface LoadKeyringOptions {
  /** The MASTER_KEYS setting; wins over the file when present. */
  masterKeys?: string | undefined;
  dataDir: string;
  log?: Logger;
}

/** The configured keyring, or the one in `<dataDir>/master.key`, created on first use. */
export async function loadKeyring(options: LoadKeyringOptions): Promise<Keyring> {
  if (options.masterKeys !== undefined) return parseMasterKeys(options.masterKeys);
  const dir = resolve(options.dataDir);
  const path = join(dir, MASTER_KEY_FILE);
  const existing = await readKeyFile(path);
  if (existing !== undefined) return parseMasterKeys(existing, path);

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const dirMode = (await stat(dir)).mode & 0o777;
  if (process.platform !== 'win32' && (dirMode & 0o077) !== 0) {
    options.log?.warn('data folder is accessible to other users; the master key file itself is owner-only', {
      path: dir, mode: dirMode.toString(8),
    });
  }
  const generated = formatMasterKeys([{ id: `local-${randomBytes(4).toString('hex')}`, key: generateFernetKey() }]);
  // Written in full under a private name, then linked into place: when several processes start at
  // once exactly one link succeeds and nobody can read a half-written file.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(draft, generated + '\n', { mode: 0o600, flag: 'wx' });
    await chmod(draft, 0o600); // in case the file system ignored the creation mode
    await link(draft, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readKeyFile(path);
    if (winner === undefined) throw new MasterKeyConfigError(`${path} vanished while it was being created`);
    return parseMasterKeys(winner, path);
  } finally {
    await unlink(draft).catch(() => {});
  }
  options.log?.info('generated a master key; back this file up, data keys cannot be recovered without it', { path });
  return parseMasterKeys(generated, path);
}

async function readKeyFile(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const mode = (await stat(path)).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new MasterKeyConfigError(`${path} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`);
  }
  if (!text.trim()) throw new MasterKeyConfigError(`${path} is empty`);
  return text.trim();
}
