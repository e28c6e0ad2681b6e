import { eventTypeFilter, type AllStreamResolvedEvent, type AllStreamSubscription, type EventStoreDBClient, type Position } from '@eventstore/db-client';
import type { Logger } from '../../log.ts';
import type { Checkpoint, RecordedEvent, SubscribeOptions, Subscription } from '../port.ts';
import { maxCheckpoint } from '../validation.ts';
import { backoffMs, sleep } from '../wakeup.ts';
import { formatCheckpoint, isSystemType, mapError, parseCheckpoint, toRecordedEvent, typeRegex } from './mapping.ts';

/**
 * A catch-up subscription to $all with the type filter applied by the server. Events are handed
 * over in batches of what has arrived, one batch at a time; while a batch is being handled nothing
 * more is read, and gRPC flow control holds the server back (a server that gives up on a slow
 * consumer drops the subscription, which is then resumed from the last handled checkpoint).
 *
 * Filtered subscriptions report "checkpoint reached" positions while skipping events; once every
 * event received before such a report has been handed over, the position is passed on as `next`
 * with an empty batch so a consumer can store it. Subscriptions resume exclusively after the
 * position given, and anything at or before the last handed-over checkpoint is dropped anyway.
 */
export function subscribeToEventStoreDB(
  client: EventStoreDBClient, log: Logger, options: SubscribeOptions, batchSize: number,
): Subscription {
  const abort = new AbortController();
  const regex = typeRegex(options.types);
  const wanted = options.types ? new Set(options.types) : undefined;
  let after: Checkpoint = options.after;
  let inHandler = false;

  /** Ends the subscription for good (reported to onError) instead of resubscribing. */
  class StopSubscription extends Error {}

  const deliver = async (events: RecordedEvent[], next: Checkpoint) => {
    inHandler = true;
    try {
      await options.onEvents(events, next);
    } catch (err) {
      throw new StopSubscription('subscriber failed', { cause: err });
    } finally {
      inHandler = false;
    }
    after = next;
  };

  const runOnce = async () => {
    // How many events had been received when each checkpoint was reported.
    const reported: Array<{ checkpoint: Checkpoint; received: number }> = [];
    let consumed = 0;
    let dropped: unknown;
    let wake: (() => void) | undefined;
    const subscription: AllStreamSubscription = client.subscribeToAll({
      fromPosition: parseCheckpoint(after),
      filter: eventTypeFilter({
        regex,
        checkpointInterval: 1,
        checkpointReached: (sub: AllStreamSubscription, position: Position) => {
          reported.push({ checkpoint: formatCheckpoint(position), received: consumed + sub.readableLength });
        },
      }),
    });
    const onSignal = () => wake?.();
    subscription.on('error', (err: unknown) => { dropped = err; onSignal(); });
    subscription.on('end', () => { dropped ??= new Error('subscription ended by the server'); onSignal(); });
    subscription.on('readable', onSignal);
    abort.signal.addEventListener('abort', onSignal);
    try {
      while (!abort.signal.aborted) {
        const batch: RecordedEvent[] = [];
        let next = after;
        let item: AllStreamResolvedEvent | null;
        while (batch.length < batchSize && (item = subscription.read() as AllStreamResolvedEvent | null) !== null) {
          consumed++;
          const event = item.event;
          if (!event) continue;
          if (!event.position) throw new StopSubscription('EventStoreDB sent an event without its position', { cause: new Error('server 22.10 or later is required') });
          const checkpoint = formatCheckpoint(event.position);
          if (checkpoint <= next) continue;
          next = checkpoint;
          if (isSystemType(event.type) || (wanted && !wanted.has(event.type))) continue;
          try {
            batch.push(toRecordedEvent(event));
          } catch (err) {
            // An event this adapter cannot read will not become readable by resubscribing.
            throw new StopSubscription('undecodable event', { cause: err });
          }
        }
        while (reported.length > 0 && reported[0]!.received <= consumed) {
          next = maxCheckpoint(next, reported.shift()!.checkpoint);
        }
        if (batch.length > 0 || next !== after) {
          await deliver(batch, next);
          continue;
        }
        if (dropped) throw dropped;
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (subscription.readableLength > 0 || dropped || abort.signal.aborted) resolve();
        });
        wake = undefined;
      }
    } finally {
      abort.signal.removeEventListener('abort', onSignal);
      await subscription.unsubscribe().catch(() => {});
    }
  };

  const loop = (async () => {
    try {
      parseCheckpoint(after);
    } catch (err) {
      // Reported like any other end of the subscription, as the Postgres adapter does.
      abort.abort();
      if (options.onError) options.onError(err);
      else log.error('subscription stopped', { err });
      return;
    }
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        await runOnce();
        failures = 0;
      } catch (err) {
        if (err instanceof StopSubscription) {
          abort.abort();
          if (options.onError) options.onError(err.cause);
          else log.error('subscription stopped', { err: err.cause });
          return;
        }
        if (abort.signal.aborted) return;
        failures++;
        log.warn('EventStoreDB subscription dropped; resuming', { err: mapError(err), attempt: failures, after });
        await sleep(backoffMs(failures, 5_000), abort.signal);
      }
    }
  })();

  return {
    async close() {
      abort.abort();
      if (!inHandler) await loop;
    },
  };
}
