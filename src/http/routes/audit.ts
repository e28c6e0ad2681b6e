import Router from '@koa/router';
import { z } from 'zod';
import type { AppContext } from '../../application/context.ts';
import type { Checkpoint, RecordedEvent } from '../../eventstore/port.ts';
import { upcast } from '../../domain/events.ts';
import { queryAudit } from '../../../projections/audit.ts';
import { authMiddleware } from '../auth.ts';
import { HttpError, parseInput } from '../errors.ts';
import { openSse } from '../sse.ts';

const checkpoint = z.string().max(64).regex(/^[0-9A-Za-z:._-]*$/, 'must be a position returned by this API');
const auditQuery = z.object({
  stream: z.string().max(200).optional(),
  type: z.string().max(100).optional(),
  from: checkpoint.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
}).strict();
const feedQuery = z.object({ from: checkpoint.optional() }).strict();

/** At most this many live feeds per process: each holds a subscription open. */
const MAX_LIVE_FEEDS = 100;
const SECRET_FIELDS = new Set(['ciphertext', 'tokenHash', 'keyHash', 'dataKeyId', 'prompt', 'messages', 'content', 'reasoning']);

const feedView = (e: RecordedEvent) => ({
  position: e.checkpoint,
  stream: e.stream,
  stream_version: Number(e.version),
  type: e.type,
  schema_version: e.schemaVersion,
  actor: e.metadata.actor,
  recorded_at: e.recordedAt.toISOString(),
  data: Object.fromEntries(Object.entries(e.data).filter(([k]) => !SECRET_FIELDS.has(k))),
});

/** The recorded history of a project, and a live SSE feed of its events for dashboards. */
export function auditRoutes(app: AppContext): Router {
  const router = new Router();
  const auth = authMiddleware(app);
  let liveFeeds = 0;

  router.get('/projects/:projectId/audit', auth.project, async (ctx) => {
    const q = parseInput(auditQuery, ctx.query, 'query');
    const entries = await queryAudit(app.database.db, { projectId: ctx.params.projectId!, ...q });
    ctx.body = { entries, next: entries.length === q.limit ? entries.at(-1)!.position : null };
  });

  router.get('/projects/:projectId/events', auth.project, async (ctx) => {
    const q = parseInput(feedQuery, ctx.query, 'query');
    const lastEventId = ctx.get('last-event-id');
    const from = (lastEventId && checkpoint.safeParse(lastEventId).success ? lastEventId : q.from ?? '') as Checkpoint;
    if (liveFeeds >= MAX_LIVE_FEEDS) throw new HttpError(503, 'too_many_feeds', 'too many live feeds open; retry later', undefined, { 'retry-after': '5' });
    liveFeeds++;
    const projectId = ctx.params.projectId!;
    const sse = openSse(ctx);
    const subscription = app.eventStore.subscribe({
      after: from,
      onEvents: async (events) => {
        for (const e of events) {
          if ((e.data as { projectId?: string }).projectId !== projectId) continue;
          if (!sse.send(feedView(upcast(e)), e.checkpoint)) return;
        }
      },
      onError: (err) => {
        sse.send({ error: { code: 'feed_failed', message: 'the event feed stopped; reconnect with Last-Event-ID' } });
        app.log.warn('event feed failed', { err });
        sse.end();
      },
    });
    sse.signal.addEventListener('abort', () => {
      liveFeeds--;
      void subscription.close();
    }, { once: true });
  });

  return router;
}
