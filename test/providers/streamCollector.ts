import type { CallOptions, StreamEvent } from '../../src/providers/types.ts';

/** Reads a stream to its end, keeping what arrived before a failure and the failure itself. */
export async function collect(stream: AsyncIterable<StreamEvent>): Promise<{ events: StreamEvent[]; error: unknown }> {
  const events: StreamEvent[] = [];
  try {
    for await (const e of stream) events.push(e);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

export const textOf = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');

export const reasoningOf = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === 'reasoning' ? [e.text] : [])).join('');

export const lastUsage = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === 'usage' ? [e.usage] : [])).at(-1);

export function callOptions(timeoutMs = 5000, signal: AbortSignal = new AbortController().signal): CallOptions {
  return { signal, timeoutMs };
}
