import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { request } from 'undici';

/**
 * A `fetch` for the provider SDKs that accept one (openai, also for DeepSeek; groq-sdk;
 * @anthropic-ai/sdk), built on undici's `request`, the HTTP client underneath Node's own `fetch`.
 *
 * Why: Node's `fetch` runs the whole WHATWG fetch algorithm (Request objects, header guards, a
 * web stream for every body) and cost about twice the CPU of the rest of a proxied chat call here
 * (see docs/performance.md). This keeps what the SDKs rely on: the Response they read, the
 * abort signal, connection errors as thrown errors. Differences, on purpose:
 * - a body that is not an event stream is read whole before the Response is built (the SDKs read
 *   it whole anyway, with `json()` or `text()`); event streams stay streams, flushed as they come;
 * - redirects are not followed: a provider API does not redirect, and following one would send
 *   the key to wherever it points;
 * - bodies other than text or bytes (file uploads) go to Node's `fetch`.
 */
export async function providerFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const body = init.body;
  if (input instanceof Request || (body != null && typeof body !== 'string' && !(body instanceof Uint8Array))) {
    return fetch(input, init);
  }
  const res = await request(input, {
    method: (init.method ?? 'GET') as never,
    headers: plainHeaders(init.headers),
    body: body ?? null,
    signal: init.signal ?? undefined,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const decoded = decode(res.body, headers);
  const status = res.statusCode;
  if (status === 204 || status === 304 || init.method === 'HEAD') {
    res.body.resume();
    return new Response(null, { status, headers });
  }
  if (headers.get('content-type')?.startsWith('text/event-stream')) {
    return new Response(Readable.toWeb(decoded) as ReadableStream, { status, headers });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of decoded) chunks.push(chunk as Buffer);
  return new Response(Buffer.concat(chunks), { status, headers });
}

function plainHeaders(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (headers instanceof Headers) headers.forEach((value, name) => { out[name] = value; });
  else if (Array.isArray(headers)) for (const [name, value] of headers) out[name.toLowerCase()] = value!;
  else for (const [name, value] of Object.entries(headers as Record<string, string>)) out[name.toLowerCase()] = value;
  return out;
}

/** Nothing asks for compression, but a proxy in between may compress anyway: undo it as fetch does. */
function decode(body: Readable, headers: Headers): Readable {
  const encoding = headers.get('content-encoding')?.trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip()
    : encoding === 'deflate' ? createInflate()
    : encoding === 'br' ? createBrotliDecompress()
    : undefined;
  if (!decoder) return body;
  headers.delete('content-encoding');
  headers.delete('content-length');
  body.on('error', (err) => decoder.destroy(err));
  return body.pipe(decoder);
}
