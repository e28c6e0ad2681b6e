import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { providerFetch } from '../../src/providers/shared/fetch.ts';

/** providerFetch against a real HTTP server: what the SDKs rely on from a Response. */
describe('providerFetch', () => {
  let server: Server;
  let base: string;
  let received: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        handler(req, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => { received = []; });

  test('sends method, headers and body; returns status, headers and the whole body', async () => {
    handler = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'req_1', 'set-cookie': ['a=1', 'b=2'] });
      res.end('{"ok":true}');
    };
    const res = await providerFetch(`${base}/v1/chat`, {
      method: 'POST', body: '{"q":1}',
      headers: new Headers({ 'content-type': 'application/json', authorization: 'Bearer sk-test' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('req_1');
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(await res.json()).toEqual({ ok: true });
    expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/chat', body: '{"q":1}' });
    expect(received[0]!.headers.authorization).toBe('Bearer sk-test');
  });

  test('takes headers as a plain object or as pairs', async () => {
    handler = (_req, res) => res.end('x');
    await providerFetch(`${base}/a`, { headers: { 'X-Api-Key': 'k1' } });
    await providerFetch(`${base}/b`, { headers: [['X-Api-Key', 'k2']] });
    expect(received.map((r) => r.headers['x-api-key'])).toEqual(['k1', 'k2']);
  });

  test('undoes a compression a proxy applied', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync('{"compressed":true}'));
    };
    const res = await providerFetch(`${base}/gz`);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.json()).toEqual({ compressed: true });
  });

  test('does not follow a redirect, so a key is never sent elsewhere', async () => {
    handler = (req, res) => {
      if (req.url === '/moved') { res.writeHead(307, { location: '/elsewhere' }); res.end(); return; }
      res.end('followed');
    };
    const res = await providerFetch(`${base}/moved`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer sk-test' } });
    expect(res.status).toBe(307);
    expect(received.map((r) => r.url)).toEqual(['/moved']);
  });

  test('an event stream arrives chunk by chunk, before the server has finished', async () => {
    let finish: () => void = () => undefined;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      finish = () => { res.write('data: two\n\n'); res.end(); };
    };
    const res = await providerFetch(`${base}/sse`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('data: one\n\n');
    finish();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString();
    }
    expect(rest).toBe('data: two\n\n');
  });

  test('aborting ends a stream in progress and closes the connection', async () => {
    let closed!: Promise<void>;
    handler = (req, res) => {
      closed = new Promise((r) => res.on('close', () => r()));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      void req;
    };
    const controller = new AbortController();
    const res = await providerFetch(`${base}/sse-abort`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toBeDefined();
    await closed;
  });

  test('an abort before the answer rejects the call', async () => {
    handler = () => undefined; // never answers
    const controller = new AbortController();
    const pending = providerFetch(`${base}/hang`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeDefined();
  });

  test('a refused connection rejects the call', async () => {
    await expect(providerFetch('http://127.0.0.1:1/x')).rejects.toBeDefined();
  });
});
