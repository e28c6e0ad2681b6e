import { EventStoreDBClient } from '@eventstore/db-client';
import type { Logger } from '../../log.ts';
import { EventStoreUnavailableError, type EventStore, type Subscription } from '../port.ts';
import { validateAppend, validateReadAll, validateReadStream } from '../validation.ts';
import { appendToEventStoreDB } from './append.ts';
import { headOfEventStoreDB } from './head.ts';
import { readAllFromEventStoreDB } from './readAll.ts';
import { readStreamFromEventStoreDB } from './readStream.ts';
import { subscribeToEventStoreDB } from './subscribe.ts';

export interface EventStoreDBOptions {
  /** e.g. `esdb://host:2113?tls=false`. Reading $all needs a user allowed to (admin by default). */
  connectionString: string;
  log: Logger;
  /** Events per batch handed to a subscriber. */
  subscriptionBatchSize?: number;
}

/**
 * The event store on EventStoreDB (server 23.10 or later). Checkpoints of projections still live in
 * Postgres next to the read models; only the log is here.
 */
export async function connectEventStoreDB(options: EventStoreDBOptions): Promise<EventStore> {
  const client = EventStoreDBClient.connectionString(options.connectionString);
  const subscriptions = new Set<Subscription>();
  let closed = false;
  try {
    // Fail at start-up, not on the first request, when the server cannot be reached.
    await headOfEventStoreDB(client);
  } catch (err) {
    await client.dispose().catch(() => {});
    throw err instanceof EventStoreUnavailableError ? err : new EventStoreUnavailableError(`cannot use EventStoreDB: ${(err as Error).message}`);
  }
  const assertOpen = () => {
    if (closed) throw new EventStoreUnavailableError('event store is closed');
  };

  return {
    kind: 'eventstoredb',
    async append(stream, events, appendOptions) {
      assertOpen();
      validateAppend(stream, events, appendOptions);
      return appendToEventStoreDB(client, stream, events, appendOptions.expected);
    },
    async readStream(stream, readOptions) {
      assertOpen();
      const { from, maxCount } = validateReadStream(stream, readOptions);
      return readStreamFromEventStoreDB(client, stream, from, maxCount);
    },
    async readAll(readOptions) {
      assertOpen();
      validateReadAll(readOptions);
      return readAllFromEventStoreDB(client, readOptions);
    },
    subscribe(subscribeOptions) {
      assertOpen();
      const batchSize = subscribeOptions.batchSize ?? options.subscriptionBatchSize ?? 500;
      validateReadAll({ after: subscribeOptions.after, batchSize, ...(subscribeOptions.types ? { types: subscribeOptions.types } : {}) });
      const subscription = subscribeToEventStoreDB(client, options.log, subscribeOptions, batchSize);
      subscriptions.add(subscription);
      return {
        async close() {
          subscriptions.delete(subscription);
          await subscription.close();
        },
      };
    },
    async head() {
      assertOpen();
      return headOfEventStoreDB(client);
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      subscriptions.clear();
      await client.dispose();
    },
  };
}
