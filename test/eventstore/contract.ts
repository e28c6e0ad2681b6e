import { randomUUID } from 'node:crypto';
import {
  START, WrongExpectedVersionError,
  type Checkpoint, type EventStore, type ExpectedVersion, type NewEvent, type RecordedEvent,
} from '../../src/eventstore/port.ts';

/**
 * What every event store adapter must do, run against each real backend. Tests share one store per
 * backend (starting one is slow), so each uses its own streams and event types and reads the global
 * log only from the head it saw when it began.
 */
export interface OpenedStore {
  store: EventStore;
  close(): Promise<void>;
}

export function eventStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`event store contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: EventStore;
    beforeAll(async () => {
      opened = await open();
      store = opened.store;
    }, 60_000);
    afterAll(async () => { await opened?.close(); });

    const tag = () => randomUUID().slice(0, 8);
    const event = (type: string, data: Record<string, unknown> = {}, schemaVersion = 1): NewEvent => ({
      id: randomUUID(), type, schemaVersion, data, metadata: { actor: 'test' },
    });
    const seed = async (stream: string, count: number, type = `Seeded_${tag()}`) => {
      if (count > 0) await store.append(stream, Array.from({ length: count }, (_, i) => event(type, { i })), { expected: 'no_stream' });
    };
    const rejection = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        return err;
      }
      throw new Error('expected the call to fail');
    };
    /** Everything after `after`, read in batches until caught up. */
    const readEverything = async (after: Checkpoint, batchSize = 100, types?: string[]) => {
      const events: RecordedEvent[] = [];
      const nexts: Checkpoint[] = [];
      let position = after;
      for (let round = 0; round < 10_000; round++) {
        const r = await store.readAll({ after: position, batchSize, ...(types ? { types } : {}) });
        events.push(...r.events);
        nexts.push(r.next);
        position = r.next;
        if (r.caughtUp) break;
      }
      return { events, nexts, next: position };
    };

    describe('expected versions', () => {
      // [mode, stream present?, expected, ok?]  present streams hold 2 events.
      const cases: Array<[string, boolean, ExpectedVersion, boolean]> = [
        ['any', false, 'any', true],
        ['any', true, 'any', true],
        ['no_stream', false, 'no_stream', true],
        ['no_stream', true, 'no_stream', false],
        ['no_stream as 0', false, 0n, true],
        ['no_stream as 0', true, 0n, false],
        ['stream_exists', false, 'stream_exists', false],
        ['stream_exists', true, 'stream_exists', true],
        ['exact version', true, 2n, true],
        ['exact version (behind)', true, 1n, false],
        ['exact version (ahead)', true, 3n, false],
        ['exact version', false, 1n, false],
      ];
      test.each(cases)('%s, stream present: %s, expected %p → succeeds: %s', async (_mode, present, expected, ok) => {
        const stream = `matrix-${tag()}`;
        if (present) await seed(stream, 2);
        const before = present ? 2n : 0n;
        if (ok) {
          const result = await store.append(stream, [event('Appended')], { expected });
          expect(result.nextVersion).toBe(before + 1n);
          expect((await store.readStream(stream)).version).toBe(before + 1n);
        } else {
          const err = await rejection(store.append(stream, [event('Appended')], { expected }));
          expect(err).toBeInstanceOf(WrongExpectedVersionError);
          expect(err).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', stream, expected, actual: before });
          const after = await store.readStream(stream);
          expect(after.version).toBe(before);
          expect(after.events.map((e) => e.type)).not.toContain('Appended');
        }
      });

      test('append requires events and a valid expected version', async () => {
        await expect(store.append(`bad-${tag()}`, [], { expected: 'any' })).rejects.toThrow(TypeError);
        await expect(store.append(`bad-${tag()}`, [event('X')], { expected: -1n })).rejects.toThrow(RangeError);
        await expect(store.append(`bad-${tag()}`, [{ ...event('X'), id: 'not-a-uuid' }], { expected: 'any' })).rejects.toThrow(/UUID/);
        await expect(store.append('$system', [event('X')], { expected: 'any' })).rejects.toThrow(/\$/);
        await expect(store.append(`bad-${tag()}`, [event('X')], { expected: 'any', durability: 'later' as never })).rejects.toThrow(/durability/);
      });

      test('a deferred-flush append is committed and readable at once, and orders before a flushed one after it', async () => {
        const stream = `deferred-${tag()}`;
        const requested = event('Requested');
        const first = await store.append(stream, [requested], { expected: 'no_stream', durability: 'deferred' });
        expect(first.nextVersion).toBe(1n);
        expect((await store.readStream(stream)).events.map((e) => e.id)).toEqual([requested.id]);
        const second = await store.append(stream, [event('Succeeded')], { expected: 1n, durability: 'flushed' });
        expect(second.checkpoint > first.checkpoint).toBe(true);
        expect(await store.append(stream, [requested], { expected: 'no_stream', durability: 'deferred' })).toEqual(first);
      });
    });

    describe('idempotent retries', () => {
      test('the same ids with the same expected version return the original result and write nothing', async () => {
        const stream = `retry-${tag()}`;
        const events = [event('A', { n: 1 }), event('B', { n: 2 })];
        const first = await store.append(stream, events, { expected: 'no_stream' });
        const again = await store.append(stream, events, { expected: 'no_stream' });
        expect(again).toEqual(first);
        const read = await store.readStream(stream);
        expect(read.version).toBe(2n);
        expect(read.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
      });

      test('a retry still returns the original result after the stream moved on', async () => {
        const stream = `retry-${tag()}`;
        const events = [event('A'), event('B')];
        const first = await store.append(stream, events, { expected: 'no_stream' });
        await store.append(stream, [event('C')], { expected: 2n });
        expect(await store.append(stream, events, { expected: 'no_stream' })).toEqual(first);
        expect((await store.readStream(stream)).events.map((e) => e.type)).toEqual(['A', 'B', 'C']);
      });

      test('a retry with expected "any" does not duplicate', async () => {
        const stream = `retry-${tag()}`;
        const events = [event('A')];
        const first = await store.append(stream, events, { expected: 'any' });
        expect(await store.append(stream, events, { expected: 'any' })).toEqual(first);
        expect((await store.readStream(stream)).version).toBe(1n);
      });

      test('a "retry" that only partly matches what was written is refused', async () => {
        const stream = `retry-${tag()}`;
        const a = event('A');
        await store.append(stream, [a, event('B')], { expected: 'no_stream' });
        const err = await rejection(store.append(stream, [a, event('Other')], { expected: 'no_stream' }));
        expect(err).toBeInstanceOf(WrongExpectedVersionError);
        expect((await store.readStream(stream)).version).toBe(2n);
      });
    });

    describe('reading', () => {
      test('reads back exactly what was written', async () => {
        const stream = `exact-${tag()}`;
        const startedAt = Date.now();
        const start = await store.head();
        const written: NewEvent[] = [
          { id: randomUUID(), type: 'ThingHappened', schemaVersion: 3, data: { text: 'grüße 👋 "quoted"', nested: { list: [1, 2.5, null, true], empty: {} } }, metadata: { actor: 'admin', requestId: 'req-1', correlationId: 'corr-1', causationId: 'cause-1' } },
          { id: randomUUID(), type: 'OtherThing', schemaVersion: 1, data: {}, metadata: { actor: 'apikey:k1' } },
        ];
        const result = await store.append(stream, written, { expected: 'no_stream' });
        const { version, events } = await store.readStream(stream);
        expect(version).toBe(2n);
        expect(events).toHaveLength(2);
        events.forEach((e, i) => {
          expect({ id: e.id, type: e.type, schemaVersion: e.schemaVersion, data: e.data, metadata: e.metadata }).toEqual(written[i]);
          expect(e.stream).toBe(stream);
          expect(e.version).toBe(BigInt(i + 1));
          expect(e.recordedAt).toBeInstanceOf(Date);
          expect(e.recordedAt.getTime()).toBeGreaterThanOrEqual(startedAt - 1000);
          expect(e.recordedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
        });
        expect(events[0]!.checkpoint < events[1]!.checkpoint).toBe(true);
        expect(events[1]!.checkpoint).toBe(result.checkpoint);
        // The global log returns the same records.
        const viaAll = (await eventually(() => readEverything(start, 1000), (r) => r.events.filter((e) => e.stream === stream).length >= 2))
          .events.filter((e) => e.stream === stream);
        expect(viaAll).toEqual(events);
      });

      test('readStream honours fromVersion and maxCount, and a missing stream is empty', async () => {
        const stream = `range-${tag()}`;
        await seed(stream, 10);
        const page = await store.readStream(stream, { fromVersion: 4n, maxCount: 3 });
        expect(page.version).toBe(10n);
        expect(page.events.map((e) => e.version)).toEqual([4n, 5n, 6n]);
        expect(page.events.map((e) => e.data)).toEqual([{ i: 3 }, { i: 4 }, { i: 5 }]);
        expect(await store.readStream(stream, { fromVersion: 11n })).toEqual({ version: 10n, events: [] });
        expect(await store.readStream(`missing-${tag()}`)).toEqual({ version: 0n, events: [] });
        await expect(store.readStream(stream, { fromVersion: 0n })).rejects.toThrow(RangeError);
      });

      test('readAll pages in order, and a type filter still moves next past what it drops', async () => {
        const t = tag();
        const start = await store.head();
        const wanted = `Wanted_${t}`;
        const other = `Other_${t}`;
        const appended: string[] = [];
        let last: Checkpoint = START;
        for (let i = 0; i < 7; i++) {
          const batch = [event(i % 2 ? wanted : other, { i }), event(other, { i })];
          last = (await store.append(`mixed${i % 3}-${t}`, batch, { expected: 'any' })).checkpoint;
          appended.push(...batch.map((e) => e.id));
        }
        // Trailing events the filter drops: next must still get past them.
        const tail = [event(other), event(other)];
        last = (await store.append(`tail-${t}`, tail, { expected: 'no_stream' })).checkpoint;
        appended.push(...tail.map((e) => e.id));

        const all = await eventually(() => readEverything(start, 3), (r) => r.events.filter((e) => e.type === wanted || e.type === other).length >= appended.length);
        const ours = all.events.filter((e) => e.type === wanted || e.type === other);
        expect(ours.map((e) => e.id)).toEqual(appended);
        assertStrictlyIncreasing(all.events.map((e) => e.checkpoint));
        assertNonDecreasing(all.nexts);

        const filtered = await eventually(() => readEverything(start, 2, [wanted]), (r) => r.next >= last);
        expect(filtered.events.map((e) => e.type)).toEqual([wanted, wanted, wanted]);
        expect(filtered.events.map((e) => e.data)).toEqual([{ i: 1 }, { i: 3 }, { i: 5 }]);
        assertNonDecreasing(filtered.nexts);
        expect(filtered.next >= last).toBe(true);

        const nothing = await eventually(() => store.readAll({ after: start, batchSize: 10, types: [`Never_${t}`] }), (r) => r.next >= last);
        expect(nothing.events).toEqual([]);
        expect(nothing.caughtUp).toBe(true);
        expect(nothing.next >= last).toBe(true);
      });

      test('head is at or after the last append, and readAll from head is caught up', async () => {
        const r = await store.append(`head-${tag()}`, [event('H')], { expected: 'no_stream' });
        const head = await eventually(() => store.head(), (h) => h >= r.checkpoint);
        expect(head >= r.checkpoint).toBe(true);
        const after = await store.readAll({ after: head, batchSize: 10 });
        expect(after.events).toEqual([]);
        expect(after.caughtUp).toBe(true);
      });

      test('a malformed checkpoint is refused', async () => {
        await expect(store.readAll({ after: 'nonsense' as Checkpoint, batchSize: 10 })).rejects.toThrow(TypeError);
        await expect(store.readAll({ after: START, batchSize: 0 })).rejects.toThrow(RangeError);
      });
    });

    describe('subscriptions', () => {
      test('delivers every event once, in order, one batch at a time, then new ones as they commit', async () => {
        const t = tag();
        const type = `Sub_${t}`;
        const start = await store.head();
        await store.append(`sub-${t}`, [event(type, { n: 0 }), event(type, { n: 1 })], { expected: 'no_stream' });
        const seen: RecordedEvent[] = [];
        let inFlight = 0;
        let overlapped = false;
        let maxBatch = 0;
        const subscription = store.subscribe({
          after: start,
          types: [type],
          batchSize: 3,
          onEvents: async (events) => {
            inFlight++;
            if (inFlight > 1) overlapped = true;
            maxBatch = Math.max(maxBatch, events.length);
            await new Promise((r) => setTimeout(r, 5));
            seen.push(...events);
            inFlight--;
          },
        });
        try {
          for (let n = 2; n < 12; n++) await store.append(`sub-${t}`, [event(type, { n })], { expected: BigInt(n) });
          await until(() => seen.length >= 12);
          expect(seen.map((e) => e.data.n)).toEqual(Array.from({ length: 12 }, (_, n) => n));
          assertStrictlyIncreasing(seen.map((e) => e.checkpoint));
          expect(overlapped).toBe(false);
          expect(maxBatch).toBeLessThanOrEqual(3);
        } finally {
          await subscription.close();
        }
        await store.append(`sub-${t}`, [event(type, { n: 12 })], { expected: 12n });
        await new Promise((r) => setTimeout(r, 300));
        expect(seen).toHaveLength(12);
      });

      test('a failing handler stops the subscription and reports the error', async () => {
        const t = tag();
        const start = await store.head();
        await store.append(`subfail-${t}`, [event(`Fail_${t}`)], { expected: 'no_stream' });
        const errors: unknown[] = [];
        let calls = 0;
        const subscription = store.subscribe({
          after: start,
          types: [`Fail_${t}`],
          onEvents: async () => { calls++; throw new Error('handler broke'); },
          onError: (err) => { errors.push(err); },
        });
        await until(() => errors.length > 0);
        await store.append(`subfail-${t}`, [event(`Fail_${t}`)], { expected: 1n });
        await new Promise((r) => setTimeout(r, 300));
        expect(calls).toBe(1);
        expect(String(errors[0])).toContain('handler broke');
        await subscription.close();
      });
    });

    test('soak: concurrent writers, one subscriber sees every committed event exactly once and in order', async () => {
      const t = tag();
      const type = `Soak_${t}`;
      const start = await store.head();
      const streams = Array.from({ length: 40 }, (_, i) => `soak${i}-${t}`);
      const known = new Map<string, bigint>(streams.map((s) => [s, 0n]));
      const committed = new Map<string, RecordedEvent['stream']>();
      let conflicts = 0;

      const seen: RecordedEvent[] = [];
      const subscription = store.subscribe({ after: start, types: [type], onEvents: async (events) => { seen.push(...events); } });

      const writer = async (w: number) => {
        for (let i = 0; i < 150; i++) {
          // Writers w and w + 4 walk the same streams at the same time, so they keep conflicting.
          const stream = streams[((w % 4) * 10 + i * 13) % streams.length]!;
          const batch = Array.from({ length: 1 + ((w + i) % 3) }, (_, k) => event(type, { w, i, k }));
          for (let attempt = 0; ; attempt++) {
            const expected: ExpectedVersion = i % 4 === 0 ? 'any' : known.get(stream)!;
            try {
              const r = await store.append(stream, batch, { expected });
              known.set(stream, r.nextVersion);
              for (const e of batch) committed.set(e.id, stream);
              break;
            } catch (err) {
              if (!(err instanceof WrongExpectedVersionError) || attempt > 50) throw err;
              conflicts++;
              known.set(stream, err.actual);
            }
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
        await until(() => seen.length >= committed.size, 30_000);
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await subscription.close();
      }

      expect(committed.size).toBeGreaterThan(2000);
      expect(conflicts).toBeGreaterThan(0);
      expect(seen).toHaveLength(committed.size);
      expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
      for (const e of seen) expect(committed.get(e.id)).toBe(e.stream);
      assertStrictlyIncreasing(seen.map((e) => e.checkpoint));
      // Per stream: versions 1..n in order, identical to what the stream itself returns.
      for (const stream of streams) {
        const fromSubscription = seen.filter((e) => e.stream === stream);
        const { version, events } = await store.readStream(stream);
        expect(fromSubscription.map((e) => e.version)).toEqual(Array.from({ length: Number(version) }, (_, i) => BigInt(i + 1)));
        expect(fromSubscription.map((e) => e.id)).toEqual(events.map((e) => e.id));
      }
    }, 60_000);
  });
}

export function assertStrictlyIncreasing(checkpoints: readonly Checkpoint[]): void {
  for (let i = 1; i < checkpoints.length; i++) {
    if (!(checkpoints[i - 1]! < checkpoints[i]!)) throw new Error(`checkpoints not strictly increasing at ${i}: ${checkpoints[i - 1]} then ${checkpoints[i]}`);
  }
}

function assertNonDecreasing(checkpoints: readonly Checkpoint[]): void {
  for (let i = 1; i < checkpoints.length; i++) {
    if (checkpoints[i - 1]! > checkpoints[i]!) throw new Error(`next moved backwards at ${i}: ${checkpoints[i - 1]} then ${checkpoints[i]}`);
  }
}

/**
 * Repeats a read until its result satisfies `done`, then returns it (or the last one after
 * `timeoutMs`, for the assertion to report). On native Postgres any write transaction open anywhere
 * in the cluster (another test run, say) delays when commits become readable; it never reorders them.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls `condition` until it holds; fails after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
