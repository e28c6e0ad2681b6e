import { ANY, NO_STREAM, STREAM_EXISTS, START as ESDB_START } from '@eventstore/db-client';
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { createLogger } from '../../src/log.ts';
import { EventStoreUnavailableError, START, type Checkpoint } from '../../src/eventstore/port.ts';
import { connectEventStoreDB } from '../../src/eventstore/eventstoredb/store.ts';
import { formatCheckpoint, parseCheckpoint, toExpectedRevision, toVersion, typeRegex } from '../../src/eventstore/eventstoredb/mapping.ts';
import { eventStoreContract } from './contract.ts';

/**
 * The contract suite against a real EventStoreDB: the server at EVENTSTORE_URL, or a throwaway
 * container when a Docker engine answers. Without either, the contract is not run and one line
 * says why; the mapping tests below run regardless.
 */
const IMAGE = 'eventstore/eventstore:24.10';
const log = createLogger('silent');

type Target = { url: string; container?: StartedTestContainer } | { reason: string };

async function findServer(): Promise<Target> {
  if (process.env.EVENTSTORE_URL) return { url: process.env.EVENTSTORE_URL };
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    return { reason: `EVENTSTORE_URL is not set and no container runtime answers (${(err as Error).message})` };
  }
  const container = await new GenericContainer(IMAGE)
    .withEnvironment({ EVENTSTORE_INSECURE: 'true', EVENTSTORE_MEM_DB: 'true', EVENTSTORE_RUN_PROJECTIONS: 'None' })
    .withExposedPorts(2113)
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCodeMatching((s) => s >= 200 && s < 300))
    .withStartupTimeout(120_000)
    .start();
  return { url: `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`, container };
}

const target = await findServer();

if ('url' in target) {
  afterAll(async () => { await target.container?.stop(); });
  eventStoreContract('eventstoredb', async () => {
    const store = await connectEventStoreDB({ connectionString: target.url, log });
    return { store, close: () => store.close() };
  });
} else {
  beforeAll(() => {
    console.log(`EventStoreDB contract suite NOT run: ${target.reason}. Set EVENTSTORE_URL=esdb://host:2113?tls=false to run it.`);
  });
}

describe('EventStoreDB mapping (no server needed)', () => {
  test('expected versions map to stream states and 0-based revisions', () => {
    expect(toExpectedRevision('any')).toBe(ANY);
    expect(toExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toExpectedRevision(0n)).toBe(NO_STREAM);
    expect(toExpectedRevision('stream_exists')).toBe(STREAM_EXISTS);
    expect(toExpectedRevision(1n)).toBe(0n);
    expect(toExpectedRevision(42n)).toBe(41n);
  });

  test('actual revisions become counts', () => {
    expect(toVersion('no_stream')).toBe(0n);
    expect(toVersion(0n)).toBe(1n);
    expect(toVersion(9n)).toBe(10n);
  });

  test('checkpoints are fixed-width and order like (commit, prepare)', () => {
    const positions = [
      { commit: 0n, prepare: 0n },
      { commit: 9n, prepare: 9n },
      { commit: 10n, prepare: 0n },
      { commit: 10n, prepare: 10n },
      { commit: 123_456_789n, prepare: 123_456_789n },
      { commit: 18_446_744_073_709_551_615n, prepare: 1n },
    ];
    const checkpoints = positions.map(formatCheckpoint);
    for (const c of checkpoints) expect(c).toMatch(/^\d{20}:\d{20}$/);
    expect([...checkpoints].sort()).toEqual(checkpoints);
    expect(checkpoints.map(parseCheckpoint)).toEqual(positions);
    expect(parseCheckpoint(START)).toBe(ESDB_START);
    expect(() => parseCheckpoint('0001:00000000000000000001:0000000000000000001' as Checkpoint)).toThrow(TypeError);
  });

  test('the server-side filter keeps user events and, when asked, exactly the given types', () => {
    const all = new RegExp(typeRegex(undefined));
    expect(all.test('ProjectCreated')).toBe(true);
    expect(all.test('$metadata')).toBe(false);
    const some = new RegExp(typeRegex(['A.b', 'C-d']));
    expect(some.test('A.b')).toBe(true);
    expect(some.test('AXb')).toBe(false);
    expect(some.test('C-d')).toBe(true);
    expect(some.test('C-dd')).toBe(false);
    expect(some.test('$A.b')).toBe(false);
  });

  test('an unreachable server fails at start-up with EventStoreUnavailableError', async () => {
    await expect(connectEventStoreDB({ connectionString: 'esdb://127.0.0.1:1?tls=false', log })).rejects.toBeInstanceOf(EventStoreUnavailableError);
  });
});
