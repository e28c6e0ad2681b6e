import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppendLevel } from './eventstore.ts';
import { runToCompletion } from './processes.ts';

/** The event store benchmark (bench/eventstore.ts) in a process of its own, as one result record. */
const SCRIPT = fileURLToPath(new URL('./eventstore.ts', import.meta.url));

export interface EventStoreRecord {
  kind: 'eventstore';
  scenario: string;
  storage: 'pglite' | 'postgres';
  levels: AppendLevel[];
}

export async function runEventStoreScenario(o: { durationMs: number; databaseServerUrl: string | undefined; logDir: string }): Promise<EventStoreRecord> {
  const seconds = Math.max(1, Math.round(o.durationMs / 2000));
  const stdout = await runToCompletion('event store bench', process.execPath, [SCRIPT, String(seconds)], {
    env: { PATH: process.env.PATH, DATABASE_URL: o.databaseServerUrl },
    logFile: join(o.logDir, 'eventstore.log'),
    timeoutMs: seconds * 2000 + 120_000,
  });
  const levels = stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as AppendLevel);
  return { kind: 'eventstore', scenario: 'event store appends', storage: o.databaseServerUrl ? 'postgres' : 'pglite', levels };
}
