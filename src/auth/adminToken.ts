import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../log.ts';
import { generateCredential } from './secrets.ts';

/**
 * The platform admin token: ADMIN_TOKEN when set; otherwise one generated on first start and kept
 * in `<DATA_DIR>/admin.token`, readable by the owner only. Only the file's location is logged.
 */
export function loadAdminToken(configured: string | undefined, dataDir: string, log: Logger): string {
  if (configured) return configured;
  const dir = resolve(dataDir);
  const file = join(dir, 'admin.token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const token = generateCredential('admin');
  // 'wx' fails if another worker created it first; then we read theirs.
  try {
    writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    log.info('generated an admin token; read it from the file (it is not printed)', { file });
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
}
