import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { EventMetadata } from '../../eventstore/port.ts';
import { toNewEvent } from '../../domain/events.ts';
import { completionStream, type CompletionEvent } from '../../domain/completions/events.ts';

/**
 * Appends a completion's events. Each completion has a stream of its own holding exactly two
 * events, so appends never contend and the store can group many requests into one commit.
 */
export async function recordCompletionEvent(app: AppContext, event: CompletionEvent, metadata: EventMetadata, expected: 'no_stream' | 1n) {
  return app.eventStore.append(
    completionStream(event.data.completionId),
    [toNewEvent(event, { ...metadata, correlationId: event.data.completionId }, randomUUID())],
    // The request needs no flush of its own: the outcome's flushed append, which comes before any
    // response is complete, makes it durable too. Until then, a crash of the database server can
    // only lose a request nobody was answered for.
    { expected, durability: event.type === 'CompletionRequested' ? 'deferred' : 'flushed' },
  );
}
