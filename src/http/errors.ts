import type { Context, Next } from 'koa';
import { ZodError } from 'zod';
import { scrubText, type Logger } from '../log.ts';
import { DomainRejection, type RejectionCode } from '../domain/shared/errors.ts';

/**
 * The one error type routes throw. Its status, code and message reach the client as
 * `{"error": {"code", "message", "details"?}}`; anything else thrown becomes a 500 with no detail.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, details?: unknown, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export const notFound = (what = 'resource') => new HttpError(404, 'not_found', `${what} not found`);

/** A zod failure as a 400 that names each offending path, e.g. `messages.0.role`. */
export function validationError(error: ZodError, where = 'body'): HttpError {
  const issues = error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
    code: i.code,
  }));
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid request';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new HttpError(400, 'validation_error', summary + more, { issues });
}

/** Parses `value` with `schema` or throws the 400 above. */
export function parseInput<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } }, value: unknown, where = 'body'): T {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, where);
  return r.data;
}

const REJECTION_STATUS: Record<RejectionCode, number> = { not_found: 404, conflict: 409, invalid: 400, forbidden: 403, gone: 410 };

/** Errors from below the HTTP layer that have a meaning for the client. */
function fromKnownError(err: unknown): HttpError | undefined {
  if (err instanceof DomainRejection) return new HttpError(REJECTION_STATUS[err.code], err.code, err.message);
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'WRONG_EXPECTED_VERSION') {
    return new HttpError(409, 'conflict', 'the resource was changed concurrently; retry the request');
  }
  if (code === 'PROJECTION_TIMEOUT') {
    return new HttpError(503, 'read_model_lagging', 'the change was recorded but read models have not caught up yet; retry the read shortly', undefined, { 'retry-after': '1' });
  }
  if (code === 'EVENT_STORE_UNAVAILABLE') {
    return new HttpError(503, 'event_store_unavailable', 'the event store is unavailable; nothing was recorded', undefined, { 'retry-after': '1' });
  }
  return undefined;
}

interface BodyParserError extends Partial<Error> { status?: number; statusCode?: number; type?: string; expose?: boolean }

/** Maps what koa-body / co-body throw to our envelope. */
function fromBodyParser(err: BodyParserError | undefined, limit: number): HttpError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  switch (err.type) {
    case 'entity.parse.failed': return new HttpError(400, 'invalid_json', 'request body is not valid JSON');
    case 'entity.too.large': return new HttpError(413, 'payload_too_large', `request body exceeds ${limit} bytes`);
    case 'encoding.unsupported': return new HttpError(415, 'unsupported_encoding', 'request content encoding is not supported');
    case 'request.aborted': return new HttpError(400, 'request_aborted', 'request body was not fully received');
    case 'charset.unsupported': return new HttpError(415, 'unsupported_charset', 'request charset is not supported');
    default:
      // co-body marks a JSON syntax error only by status 400 on a SyntaxError.
      if (err instanceof SyntaxError && (err as BodyParserError).status === 400) {
        return new HttpError(400, 'invalid_json', 'request body is not valid JSON');
      }
      return undefined;
  }
}

export function errorMiddleware(bodyLimit: number) {
  return async function errors(ctx: Context, next: Next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new HttpError(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (thrown) {
      let err: HttpError;
      if (thrown instanceof HttpError) err = thrown;
      else if (thrown instanceof ZodError) err = validationError(thrown);
      else {
        const mapped = fromKnownError(thrown) ?? fromBodyParser(thrown as BodyParserError, bodyLimit);
        if (mapped) err = mapped;
        else {
          (ctx.state.log as Logger).error('unhandled error', { err: thrown, path: ctx.path, method: ctx.method });
          err = new HttpError(500, 'internal_error', 'internal error; quote the request id when reporting it');
        }
      }
      if (ctx.headerSent || !ctx.writable) return; // streaming routes report their own failures
      ctx.status = err.status;
      for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
      ctx.body = { error: { code: err.code, message: scrubText(err.message), ...(err.details === undefined ? {} : { details: err.details }) } };
    }
  };
}
