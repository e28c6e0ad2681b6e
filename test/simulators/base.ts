import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A tiny HTTP server for provider simulators: it records every request (method, path, headers,
 * parsed JSON body) so tests can assert what the gateway really sent, and lets a test script the
 * next responses (faults, hangs, cut streams) before falling back to the provider's normal answer.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: any;
}

export type Handler<Script> = (
  req: RecordedRequest,
  res: ServerResponse,
  script: Script | undefined,
) => void | Promise<void>;

export interface Simulator<Script> {
  url: string;
  requests: RecordedRequest[];
  /** Queue behaviours for the next requests, consumed one per request in order. */
  enqueue(...scripts: Script[]): void;
  /** Resolves when the client side of a response socket closed before the response ended. */
  clientAborts: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startSimulator<Script>(handler: Handler<Script>): Promise<Simulator<Script>> {
  const queue: Script[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const sim: Simulator<Script> = {
    url: '',
    requests,
    clientAborts: 0,
    enqueue: (...s) => { queue.push(...s); },
    reset: () => { queue.length = 0; requests.length = 0; sim.clientAborts = 0; },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any = raw;
    if (raw && (req.headers['content-type'] ?? '').includes('json')) {
      try { body = JSON.parse(raw); } catch { body = raw; }
    }
    const url = new URL(req.url ?? '/', 'http://sim');
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body };
    requests.push(recorded);
    res.on('close', () => { if (!res.writableEnded) sim.clientAborts++; });
    try {
      await handler(recorded, res, queue.shift());
    } catch (err) {
      if (!res.headersSent) { res.statusCode = 500; res.end(String(err)); } else res.destroy();
    }
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  sim.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return sim;
}

/** Writes one SSE frame exactly as given (`event:` line optional) and flushes it. */
export function writeSse(res: ServerResponse, data: string, event?: string): void {
  res.write(`${event ? `event: ${event}\n` : ''}data: ${data}\n\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Behaviours every provider simulator supports, so one gateway test can drive the same fault
 * against all six providers. Each simulator renders them in its own provider's wire format.
 */
export type SimScript =
  /** An error response with this HTTP status in the provider's error body shape. */
  | { kind: 'error'; status: number; retryAfter?: string; retryDelaySeconds?: number; message?: string }
  /** Accept the request and never answer (timeouts). */
  | { kind: 'hang' }
  /** Close the connection without any response (connection errors). */
  | { kind: 'drop' }
  /** Stream this many content chunks, then destroy the socket mid-stream. */
  | { kind: 'cut'; afterChunks: number }
  /** A normal answer with options: custom text, a delay between stream chunks, usage variants. */
  | {
      kind: 'reply';
      text?: string;
      chunkDelayMs?: number;
      /** 'cached': part of the prompt served from the provider's cache; 'reasoning': reasoning tokens/text. */
      usage?: 'plain' | 'cached' | 'reasoning';
      /** Send no usage at all (stream cut short by the provider, old servers). */
      omitUsage?: boolean;
    };
