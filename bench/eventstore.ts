import { randomUUID } from 'node:crypto';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createEventStore } from '../src/eventstore/index.ts';
import type { NewEvent } from '../src/eventstore/port.ts';
import { createLogger } from '../src/log.ts';
import { createStorage } from './targets.ts';
import { round3, summarize, type Percentiles } from './stats.ts';

/**
 * Append throughput of the Postgres event store on its own, with the gateway's write pattern: each
 * "completion" is a stream of its own receiving a Requested event (expected: no stream) and then an
 * outcome (expected: version 1). Run at one writer (latency of a lone commit) and at many (what
 * group commit makes of concurrent appends). Storage: a fresh native database when DATABASE_URL is
 * set, else a temporary PGlite folder.
 *
 *   node bench/eventstore.ts [seconds per level, default 4]
 *
 * Prints one JSON line per concurrency level.
 */
export interface AppendLevel {
  writers: number;
  appends: number;
  events: number;
  errors: number;
  durationS: number;
  eventsPerSecond: number;
  appendLatencyMs: Percentiles;
}

const LEVELS = [1, 64];
const MAX_SAMPLES = 1_000_000;

function completionEvents(projectId: string, completionId: string): [NewEvent, NewEvent] {
  const metadata = { actor: 'apikey:00000000-0000-4000-8000-000000000001', requestId: randomUUID(), correlationId: completionId };
  return [{
    id: randomUUID(), type: 'CompletionRequested', schemaVersion: 1, metadata,
    data: {
      projectId, completionId, source: 'public', apiKeyId: '00000000-0000-4000-8000-000000000001', requestedModel: 'gpt-4o-mini',
      provider: 'openai', model: 'gpt-4o-mini', stream: false,
      params: { temperature: null, maxTokens: null, topP: null, stop: null }, messageCount: 2, messages: null,
    },
  }, {
    id: randomUUID(), type: 'CompletionSucceeded', schemaVersion: 1, metadata,
    data: {
      projectId, completionId, provider: 'openai', model: 'gpt-4o-mini',
      usage: { inputTokens: 24, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 16, reasoningTokens: 0, estimated: false },
      costUsd: 0.0000132, priceTableVersion: 'bench', latencyMs: 0.4, ttftMs: null, attempts: 1,
      finishReason: 'stop', providerResponseId: 'chatcmpl-bench', content: null, reasoning: null,
    },
  }];
}

export async function measureAppends(durationMsPerLevel: number, serverUrl: string | undefined): Promise<AppendLevel[]> {
  const storage = await createStorage(serverUrl);
  const database = await openDatabase({ databaseUrl: storage.databaseUrl, dataDir: storage.dataDir });
  const log = createLogger('warn');
  try {
    await migrateToLatest(database);
    const store = await createEventStore({ kind: 'postgres', database, log });
    const projectId = randomUUID();
    const levels: AppendLevel[] = [];
    try {
      for (const writers of LEVELS) {
        const latencies = new Float64Array(MAX_SAMPLES);
        let samples = 0;
        let appends = 0;
        let errors = 0;
        const started = performance.now();
        const deadline = started + durationMsPerLevel;
        const append = async (stream: string, event: NewEvent, expected: 'no_stream' | bigint) => {
          const t = performance.now();
          try {
            await store.append(stream, [event], { expected });
            appends++;
            if (samples < MAX_SAMPLES) latencies[samples++] = performance.now() - t;
          } catch {
            errors++;
          }
        };
        const writer = async () => {
          while (performance.now() < deadline) {
            const completionId = randomUUID();
            const [requested, outcome] = completionEvents(projectId, completionId);
            const stream = `completion-${completionId}`;
            await append(stream, requested, 'no_stream');
            await append(stream, outcome, 1n);
          }
        };
        await Promise.all(Array.from({ length: writers }, writer));
        const durationS = (performance.now() - started) / 1000;
        const s = summarize(latencies.subarray(0, samples));
        levels.push({
          writers, appends, events: appends, errors, durationS: round3(durationS),
          eventsPerSecond: Math.round(appends / durationS),
          appendLatencyMs: { p50: round3(s.p50), p90: round3(s.p90), p99: round3(s.p99), max: round3(s.max), mean: round3(s.mean), count: s.count },
        });
      }
    } finally {
      await store.close();
    }
    return levels;
  } finally {
    await database.close();
    await storage.dispose();
  }
}

if (import.meta.main) {
  const seconds = Number(process.argv[2] ?? 4);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) {
    process.stderr.write('usage: node bench/eventstore.ts [seconds per level, 1-60]\n');
    process.exit(2);
  }
  const levels = await measureAppends(seconds * 1000, process.env.DATABASE_URL || undefined);
  for (const level of levels) process.stdout.write(JSON.stringify(level) + '\n');
}
