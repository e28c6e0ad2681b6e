import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_SETTINGS, LIMITS, errorBody, modelList, prepareReplies, type PreparedReplies, type ReplySettings,
} from './replies.ts';

/**
 * A fast OpenAI-compatible upstream for load tests: `POST /v1/chat/completions` (JSON and SSE),
 * `GET /v1/models`, plus `/_bench/settings` and `/_bench/stats` for the harness. It keeps no
 * per-request state beyond counters; every reply body is serialized once.
 */
export interface BenchSimulator {
  url: string;
  server: Server;
  settings(): ReplySettings;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_048_576;
const MAX_CACHED_MODELS = 64;
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1-nano'];

const JSON_HEADERS = (length: number, latencyMs: number) => [
  'content-type', 'application/json',
  'content-length', String(length),
  'openai-processing-ms', String(latencyMs),
  'x-request-id', 'req_benchsim',
];
const SSE_HEADERS = (latencyMs: number) => [
  'content-type', 'text/event-stream; charset=utf-8',
  'cache-control', 'no-cache',
  'openai-processing-ms', String(latencyMs),
  'x-request-id', 'req_benchsim',
];

function send(res: ServerResponse, status: number, body: Buffer) {
  res.writeHead(status, ['content-type', 'application/json', 'content-length', String(body.length)]);
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Settings from `/_bench/settings`: integers within LIMITS, anything else rejected by name. */
export function parseSettings(input: unknown, current: ReplySettings): ReplySettings | string {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return 'body must be a JSON object';
  const next = { ...current };
  for (const [key, value] of Object.entries(input)) {
    if (!(key in LIMITS)) return `unknown setting ${JSON.stringify(key).slice(0, 50)}`;
    const max = LIMITS[key as keyof typeof LIMITS];
    const min = key === 'chunks' ? 1 : 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return `${key} must be an integer from ${min} to ${max}`;
    }
    next[key as keyof ReplySettings] = value;
  }
  return next;
}

export async function startBenchSimulator(options: { port?: number; settings?: Partial<ReplySettings> } = {}): Promise<BenchSimulator> {
  let settings: ReplySettings = { ...DEFAULT_SETTINGS, ...options.settings };
  let replies = new Map<string, PreparedReplies>();
  let completions = 0;
  let streams = 0;
  const models = modelList(MODELS);

  const repliesFor = (model: string) => {
    let r = replies.get(model);
    if (!r) {
      if (replies.size >= MAX_CACHED_MODELS) replies = new Map();
      r = prepareReplies(model, settings);
      replies.set(model, r);
    }
    return r;
  };

  async function chat(req: IncomingMessage, res: ServerResponse) {
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) {
      return send(res, 401, errorBody("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", 'invalid_request_error'));
    }
    const raw = await readBody(req);
    if (!raw) return send(res, 413, errorBody('Request body too large.', 'invalid_request_error'));
    let body: { model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown }; messages?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(res, 400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error'));
    }
    if (typeof body?.model !== 'string' || !body.model || body.model.length > 200) {
      return send(res, 400, errorBody('you must provide a model parameter', 'invalid_request_error'));
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return send(res, 400, errorBody("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'invalid_request_error', 'empty_array'));
    }
    const { latencyMs, chunkDelayMs } = settings;
    const prepared = repliesFor(body.model);
    if (latencyMs) await sleep(latencyMs);
    if (res.destroyed) return;
    if (body.stream !== true) {
      completions++;
      res.writeHead(200, JSON_HEADERS(prepared.json.length, latencyMs));
      res.end(prepared.json);
      return;
    }
    streams++;
    const writes = body.stream_options?.include_usage === true ? prepared.streamWithUsage : prepared.stream;
    res.writeHead(200, SSE_HEADERS(latencyMs));
    if (!chunkDelayMs) {
      res.end(writes.length === 1 ? writes[0] : Buffer.concat(writes));
      return;
    }
    for (let i = 0; i < writes.length - 1; i++) {
      res.write(writes[i]);
      await sleep(chunkDelayMs);
      if (res.destroyed) return;
    }
    res.end(writes[writes.length - 1]);
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string) {
    if (path === '/_bench/stats' && req.method === 'GET') {
      return send(res, 200, Buffer.from(JSON.stringify({ completions, streams, settings })));
    }
    if (path === '/_bench/settings' && req.method === 'POST') {
      const raw = await readBody(req);
      let parsed: unknown;
      try { parsed = raw ? JSON.parse(raw.toString('utf8')) : undefined; } catch { parsed = undefined; }
      const next = parseSettings(parsed, settings);
      if (typeof next === 'string') return send(res, 400, errorBody(next, 'invalid_request_error'));
      settings = next;
      replies = new Map();
      return send(res, 200, Buffer.from(JSON.stringify(settings)));
    }
    return send(res, 404, errorBody(`Invalid URL (${req.method} ${path.slice(0, 100)})`, 'invalid_request_error'));
  }

  const server = createServer({ keepAliveTimeout: 30_000, requestTimeout: 0, noDelay: true }, (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    let handled: Promise<void> | void;
    if (path === '/v1/chat/completions' && req.method === 'POST') handled = chat(req, res);
    else if (path === '/v1/models' && req.method === 'GET') handled = send(res, 200, models);
    else handled = control(req, res, path);
    if (handled) handled.catch(() => res.destroy());
  });
  server.maxConnections = 4096;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    settings: () => settings,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
