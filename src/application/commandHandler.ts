import { randomUUID } from 'node:crypto';
import type { AppendResult, EventMetadata, EventStore, StreamName } from '../eventstore/port.ts';
import { WrongExpectedVersionError } from '../eventstore/port.ts';
import { toDomainEvent, toNewEvent } from '../domain/events.ts';
import type { DomainEvent } from '../domain/shared/eventDefinition.ts';

export interface Decider<State, Command, Event extends DomainEvent> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(state: State, command: Command): Event[];
}

export interface HandleResult<Event> {
  events: Event[];
  /** undefined when the decision produced no events (an idempotent no-op). */
  append: AppendResult | undefined;
}

/**
 * Load a stream, fold it, decide, append with the version that was read. A concurrent writer makes
 * the append fail; the whole cycle then runs again on the fresh state (a few times at most).
 */
export async function handleCommand<State, Command, Event extends DomainEvent>(
  store: EventStore,
  stream: StreamName,
  decider: Decider<State, Command, Event>,
  command: Command,
  metadata: EventMetadata,
  attempts = 3,
): Promise<HandleResult<Event>> {
  for (let attempt = 1; ; attempt++) {
    const { version, events: recorded } = await store.readStream(stream);
    let state = decider.initialState();
    for (const r of recorded) state = decider.evolve(state, toDomainEvent<Event>(r));
    const events = decider.decide(state, command);
    if (events.length === 0) return { events, append: undefined };
    try {
      const append = await store.append(
        stream,
        events.map((e) => toNewEvent(e, metadata, randomUUID())),
        { expected: version === 0n ? 'no_stream' : version },
      );
      return { events, append };
    } catch (err) {
      if (err instanceof WrongExpectedVersionError && attempt < attempts) continue;
      throw err;
    }
  }
}
