import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../application/context.ts';
import { hashCredential, hashesEqual, secretsEqual } from '../auth/secrets.ts';
import { findCredentialByHash } from '../../projections/credentials.ts';
import { getProject } from '../../projections/projects.ts';
import { HttpError, parseInput } from './errors.ts';

/** Who is calling; `actor` is what events record as their cause. */
export interface Caller {
  kind: 'admin' | 'token' | 'api_key';
  actor: string;
  /** The project a token or key belongs to; undefined for the admin. */
  projectId: string | undefined;
  credentialId: string | undefined;
}

const unauthorized = () => new HttpError(401, 'unauthorized', 'missing or invalid credentials', undefined, { 'www-authenticate': 'Bearer' });
// A credential of another project learns nothing about this one, not even that it exists.
const projectNotFound = () => new HttpError(404, 'not_found', 'project not found');

function bearer(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  const m = /^Bearer\s+(\S{1,512})$/i.exec(header);
  return m?.[1];
}

const projectParams = z.object({ projectId: z.string().uuid('must be a UUID') });

export function authMiddleware(app: AppContext) {
  const db = app.database.db;

  const callerOf = (kind: 'token' | 'api_key', id: string, projectId: string): Caller =>
    ({ kind, actor: `${kind === 'token' ? 'token' : 'apikey'}:${id}`, projectId, credentialId: id });

  async function lookup(secret: string, kind: 'token' | 'api_key'): Promise<Caller | undefined> {
    const hash = hashCredential(secret);
    const cached = app.cache.caller(hash);
    if (cached) return cached.kind === kind ? callerOf(kind, cached.credentialId, cached.projectId) : undefined;
    const epoch = app.cache.epoch();
    const row = await findCredentialByHash(db, hash);
    if (!row || row.kind !== kind || row.revoked_at || !hashesEqual(row.secret_hash, hash)) return undefined;
    app.cache.rememberCaller(hash, { kind, credentialId: row.id, projectId: row.project_id }, epoch);
    return callerOf(kind, row.id, row.project_id);
  }

  return {
    /** Platform routes: the admin token only. */
    admin: async (ctx: Context, next: Next) => {
      const presented = bearer(ctx);
      if (!presented || !secretsEqual(presented, app.adminToken)) throw unauthorized();
      ctx.state.caller = { kind: 'admin', actor: 'admin', projectId: undefined, credentialId: undefined } satisfies Caller;
      await next();
    },

    /** `/projects/{projectId}/...`: a dashboard token of that project, or the admin token. */
    project: async (ctx: Context, next: Next) => {
      const presented = bearer(ctx);
      if (!presented) throw unauthorized();
      const { projectId } = parseInput(projectParams, ctx.params, 'params');
      let caller: Caller | undefined;
      if (secretsEqual(presented, app.adminToken)) {
        if (!(await getProject(db, projectId))) throw projectNotFound();
        caller = { kind: 'admin', actor: 'admin', projectId, credentialId: undefined };
      } else {
        caller = await lookup(presented, 'token');
        if (!caller) throw unauthorized();
        if (caller.projectId !== projectId) throw projectNotFound();
      }
      ctx.state.caller = caller;
      await next();
    },

    /** `/api/...`: a public API key in `x-api-key`. */
    apiKey: async (ctx: Context, next: Next) => {
      const presented = ctx.get('x-api-key');
      if (!presented || presented.length > 512) throw new HttpError(401, 'unauthorized', 'missing or invalid x-api-key');
      const caller = await lookup(presented, 'api_key');
      if (!caller) throw new HttpError(401, 'unauthorized', 'missing or invalid x-api-key');
      ctx.state.caller = caller;
      await next();
    },
  };
}

export const callerOf = (ctx: Context): Caller => ctx.state.caller as Caller;

export function metadataOf(ctx: Context) {
  return { actor: callerOf(ctx).actor, requestId: ctx.state.requestId as string };
}
