import type { Context } from 'koa';

/**
 * A Server-Sent Events response written straight to the socket: every frame is flushed as it is
 * written (no compression, no proxy buffering), a comment line keeps quiet connections alive, and
 * `signal` aborts when the client goes away so upstream work can stop at once.
 */
export interface SseStream {
  /** Writes one `data:` frame (optionally with an id); false once the client is gone. */
  send(data: unknown, id?: string): boolean;
  comment(text: string): void;
  end(): void;
  readonly signal: AbortSignal;
  readonly closed: boolean;
}

export function openSse(ctx: Context, keepAliveMs = 15_000, extraHeaders: Record<string, string> = {}): SseStream {
  const res = ctx.res;
  const abort = new AbortController();
  ctx.respond = false; // Koa must not touch the response after this point
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': ctx.state.requestId as string,
    ...extraHeaders,
  });
  res.flushHeaders();
  ctx.req.socket.setNoDelay(true);
  let closed = false;
  const onClose = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    abort.abort(new Error('client disconnected'));
  };
  res.on('close', onClose);
  const timer = setInterval(() => { if (!closed) res.write(': keep-alive\n\n'); }, keepAliveMs);
  timer.unref();
  return {
    send(data, id) {
      if (closed) return false;
      return res.write(`${id ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`) || !closed;
    },
    comment(text) {
      if (!closed) res.write(`: ${text.replace(/\n/g, ' ')}\n\n`);
    },
    end() {
      if (closed) return;
      clearInterval(timer);
      closed = true;
      res.end();
    },
    get signal() { return abort.signal; },
    get closed() { return closed; },
  };
}
