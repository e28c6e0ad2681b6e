import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import type Router from '@koa/router';
import { koaBody } from 'koa-body';
import type { Logger } from '../log.ts';
import { errorMiddleware, HttpError } from './errors.ts';

export interface RequestState {
  requestId: string;
  log: Logger;
  startedAt: bigint;
  /** performance.now() when the request arrived; the origin of elapsed_ms and overhead figures. */
  startedAtMs: number;
  /** Time spent waiting on a provider, set by routes that call one; excluded from the overhead. */
  upstream?: { upstreamMs: number };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export interface HttpAppOptions {
  log: Logger;
  bodyLimitBytes: number;
  routers: Router[];
}

/** Koa composition only: request id, access log, error envelope, JSON body, then the routers. */
export function createHttpApp({ log, bodyLimitBytes, routers }: HttpAppOptions): Koa {
  const app = new Koa();
  app.proxy = false;
  app.silent = true; // errors are logged by errorMiddleware, never by Koa's default stderr dump

  app.use(async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const state = ctx.state as RequestState;
    state.requestId = requestId;
    state.startedAt = process.hrtime.bigint();
    state.startedAtMs = performance.now();
    state.log = log.child({ requestId });
    ctx.set('x-request-id', requestId);
    try {
      await next();
    } finally {
      // Streams send their headers early and report the overhead there; everything else gets it here.
      if (!ctx.headerSent) {
        const total = performance.now() - state.startedAtMs;
        ctx.set('x-gateway-overhead-ms', String(round3(Math.max(0, total - (state.upstream?.upstreamMs ?? 0)))));
      }
      const ms = Number(process.hrtime.bigint() - state.startedAt) / 1e6;
      if (ctx.status >= 500) state.log.error('request failed', { method: ctx.method, path: ctx.path, status: ctx.status, ms });
      else state.log.debug('request', { method: ctx.method, path: ctx.path, status: ctx.status, ms });
    }
  });
  app.use(errorMiddleware(bodyLimitBytes));
  app.use(async (ctx, next) => {
    // Only JSON bodies are accepted; say so instead of silently seeing an empty body.
    if (BODY_METHODS.has(ctx.method) && ctx.request.length && !ctx.is('application/json')) {
      throw new HttpError(415, 'unsupported_media_type', 'request body must be application/json');
    }
    await next();
  });
  app.use(koaBody({
    json: true,
    multipart: false,
    urlencoded: false,
    text: false,
    jsonLimit: bodyLimitBytes,
    jsonStrict: true,
    patchKoa: true,
  }));
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true, methodNotAllowed: () => new HttpError(405, 'method_not_allowed', 'method not allowed on this route'), notImplemented: () => new HttpError(501, 'not_implemented', 'method not implemented') }));
  }
  return app;
}
