import type { AppendOptions, Checkpoint, ExpectedVersion, NewEvent, ReadAllOptions, ReadStreamOptions, StreamName } from './port.ts';

/**
 * Checks every adapter applies before touching storage, so both backends refuse the same input with
 * the same message. A failure here is a programming error in the caller, hence a TypeError/RangeError.
 */
export const LIMITS = {
  streamNameLength: 200,
  typeLength: 200,
  eventsPerAppend: 1000,
  /** Serialized data + metadata of one append. EventStoreDB must allow at least this (--max-append-size). */
  appendBytes: 4 * 1024 * 1024,
  readAllBatch: 10_000,
  readStreamCount: 100_000,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function assertStreamName(stream: StreamName): void {
  if (typeof stream !== 'string' || stream.length === 0 || stream.length > LIMITS.streamNameLength) {
    throw new TypeError(`stream name must be 1-${LIMITS.streamNameLength} characters`);
  }
  // EventStoreDB reserves `$` for its own streams; refusing it on both backends keeps them alike.
  if (stream.startsWith('$')) throw new TypeError(`stream name must not start with "$": ${stream}`);
}

export function assertExpected(expected: ExpectedVersion): void {
  if (typeof expected === 'bigint') {
    if (expected < 0n) throw new RangeError(`expected version must be >= 0, got ${expected}`);
    return;
  }
  if (expected !== 'no_stream' && expected !== 'stream_exists' && expected !== 'any') {
    throw new TypeError(`expected version must be a bigint, 'no_stream', 'stream_exists' or 'any'`);
  }
}

/** Validates an append and returns each event's serialized data and metadata. */
export function validateAppend(stream: StreamName, events: NewEvent[], options: AppendOptions): Array<{ data: string; metadata: string }> {
  assertStreamName(stream);
  if (!options || !('expected' in options)) throw new TypeError('append requires options.expected');
  assertExpected(options.expected);
  if (options.durability !== undefined && options.durability !== 'flushed' && options.durability !== 'deferred') {
    throw new TypeError('options.durability must be "flushed" or "deferred"');
  }
  if (!Array.isArray(events) || events.length === 0) throw new TypeError('append requires at least one event');
  if (events.length > LIMITS.eventsPerAppend) {
    throw new RangeError(`at most ${LIMITS.eventsPerAppend} events per append, got ${events.length}`);
  }
  const ids = new Set<string>();
  let bytes = 0;
  const serialized = events.map((e, i) => {
    const where = `events[${i}]`;
    if (typeof e.id !== 'string' || !UUID.test(e.id)) throw new TypeError(`${where}.id must be a lowercase UUID`);
    if (ids.has(e.id)) throw new TypeError(`${where}.id repeats an id of the same append`);
    ids.add(e.id);
    if (typeof e.type !== 'string' || e.type.length === 0 || e.type.length > LIMITS.typeLength || e.type.startsWith('$')) {
      throw new TypeError(`${where}.type must be 1-${LIMITS.typeLength} characters and not start with "$"`);
    }
    if (!Number.isInteger(e.schemaVersion) || e.schemaVersion < 1 || e.schemaVersion > 2 ** 31 - 1) {
      throw new TypeError(`${where}.schemaVersion must be a positive integer`);
    }
    if (!isPlainObject(e.data)) throw new TypeError(`${where}.data must be a plain object`);
    if (!isPlainObject(e.metadata) || typeof e.metadata.actor !== 'string' || e.metadata.actor.length === 0) {
      throw new TypeError(`${where}.metadata.actor must be a non-empty string`);
    }
    const data = JSON.stringify(e.data);
    const metadata = JSON.stringify(e.metadata);
    bytes += Buffer.byteLength(data) + Buffer.byteLength(metadata);
    return { data, metadata };
  });
  if (bytes > LIMITS.appendBytes) throw new RangeError(`append of ${bytes} bytes exceeds ${LIMITS.appendBytes}`);
  return serialized;
}

export function validateReadStream(stream: StreamName, options: ReadStreamOptions = {}): { from: bigint; maxCount: number } {
  assertStreamName(stream);
  const from = options.fromVersion ?? 1n;
  if (typeof from !== 'bigint' || from < 1n) throw new RangeError('fromVersion must be a bigint >= 1');
  const maxCount = options.maxCount ?? LIMITS.readStreamCount;
  if (!Number.isInteger(maxCount) || maxCount < 1 || maxCount > LIMITS.readStreamCount) {
    throw new RangeError(`maxCount must be an integer between 1 and ${LIMITS.readStreamCount}`);
  }
  return { from, maxCount };
}

export function validateReadAll(options: ReadAllOptions): void {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > LIMITS.readAllBatch) {
    throw new RangeError(`batchSize must be an integer between 1 and ${LIMITS.readAllBatch}`);
  }
  if (options.types !== undefined) {
    if (!Array.isArray(options.types) || options.types.length === 0) throw new TypeError('types, when given, must be a non-empty array');
    for (const t of options.types) {
      if (typeof t !== 'string' || t.length === 0 || t.length > LIMITS.typeLength) throw new TypeError(`invalid event type filter: ${String(t)}`);
    }
  }
}

/** Larger of two checkpoints (they order as strings). */
export function maxCheckpoint(a: Checkpoint, b: Checkpoint): Checkpoint {
  return a > b ? a : b;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
