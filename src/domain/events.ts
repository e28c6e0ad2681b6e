import type { EventMetadata, NewEvent, RecordedEvent } from '../eventstore/port.ts';
import type { DomainEvent, EventDefinition } from './shared/eventDefinition.ts';
import { projectEvents } from './projects/events.ts';
import { providerKeyEvents } from './providerKeys/events.ts';
import { completionEvents } from './completions/events.ts';

/** Every event type the domain writes. A type missing here cannot be appended. */
const definitions: readonly EventDefinition[] = [
  ...projectEvents,
  ...providerKeyEvents,
  ...completionEvents,
];

const byType = new Map<string, EventDefinition>(definitions.map((d) => [d.type, d]));

export class EventSchemaError extends Error {
  override name = 'EventSchemaError';
}

/** Validates a new event against its current schema and wraps it for the event store. */
export function toNewEvent(event: DomainEvent, metadata: EventMetadata, id: string): NewEvent {
  const def = byType.get(event.type);
  if (!def) throw new EventSchemaError(`unknown event type ${event.type}`);
  const parsed = def.schema.safeParse(event.data);
  if (!parsed.success) throw new EventSchemaError(`${event.type} v${def.version}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { id, type: event.type, schemaVersion: def.version, data: parsed.data as Record<string, unknown>, metadata };
}

/**
 * Brings a stored event to the current version of its type: parse with the schema it was written
 * with, then apply each upcaster in turn. Unknown types pass through untouched (readers skip them).
 */
export function upcast(recorded: RecordedEvent): RecordedEvent {
  const def = byType.get(recorded.type);
  if (!def || recorded.schemaVersion === def.version) return recorded;
  if (recorded.schemaVersion > def.version) {
    throw new EventSchemaError(`${recorded.type} v${recorded.schemaVersion} is newer than this code (v${def.version})`);
  }
  let data: unknown = recorded.data;
  for (const past of def.past) {
    if (past.version < recorded.schemaVersion) continue;
    data = past.upcast(past.schema.parse(data));
  }
  return { ...recorded, schemaVersion: def.version, data: def.schema.parse(data) as Record<string, unknown> };
}

/** The domain event carried by a recorded one, upcast to the current version. */
export function toDomainEvent<E extends DomainEvent>(recorded: RecordedEvent): E {
  const current = upcast(recorded);
  return { type: current.type, data: current.data } as E;
}
