import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { SimScript } from './base.ts';

/**
 * Deterministic replies and usage numbers shared by the Anthropic, Gemini and Mistral simulators,
 * plus the socket-level behaviours (hang, drop, cut) that look the same on every provider.
 */

export type ReplyScript = Extract<SimScript, { kind: 'reply' }>;

/** What a 'cached' reply reports as read from the provider's prompt cache (and, where billed, written). */
export const CACHED_READ_TOKENS = 2048;
export const CACHED_WRITE_TOKENS = 512;
/** What a 'reasoning' reply reports as spent on thinking, on top of the visible answer. */
export const REASONING_TOKENS = 32;
export const REASONING_TEXT = 'Thinking it over: the user wants a greeting.';

export const defaultText = (provider: string) => `Hello from the ${provider} simulator.`;

/** Splits text into word-sized chunks that concatenate back to the same text. */
export function chunksOf(text: string): string[] {
  const parts = text.match(/\s*\S+/g) ?? [];
  return parts.length > 0 ? parts : [text];
}

/** The simulators' token count: a quarter of the characters, rounded up, at least one. */
export function tokensFor(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/**
 * Applies max tokens and stop sequences the way the APIs do: output stops before a stop sequence,
 * or after `maxTokens` simulated tokens.
 */
export function limitReply(text: string, maxTokens: number | undefined, stops: string[] | undefined):
  { text: string; stoppedBy: 'end' | 'stop' | 'length'; stopSequence?: string } {
  let out = text;
  let stoppedBy: 'end' | 'stop' | 'length' = 'end';
  let stopSequence: string | undefined;
  for (const s of stops ?? []) {
    const at = s ? out.indexOf(s) : -1;
    if (at >= 0) { out = out.slice(0, at); stoppedBy = 'stop'; stopSequence = s; }
  }
  if (maxTokens !== undefined && tokensFor(out) > maxTokens) {
    out = out.slice(0, maxTokens * 4);
    stoppedBy = 'length';
    stopSequence = undefined;
  }
  return { text: out, stoppedBy, ...(stopSequence !== undefined ? { stopSequence } : {}) };
}

export const randomId = (bytes = 12) => randomBytes(bytes).toString('hex');

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function base62Id(length = 24): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

/** Writes and waits until the bytes are handed to the socket, so a following destroy cannot lose them. */
export function writeFlushed(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve, reject) => res.write(data, (err) => (err ? reject(err) : resolve())));
}

/** Never answers; resolves once the client gives up and closes the connection. */
export function hangUntilClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) resolve();
    else res.on('close', () => resolve());
  });
}

/** Kills the TCP connection: before any byte ('drop') or mid-response after what was flushed ('cut'). */
export function killConnection(res: ServerResponse): void {
  res.socket?.destroy();
}
