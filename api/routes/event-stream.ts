import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EVENT_TYPES, latestSeq, listEvents } from '../../core/events.js';
import { EventBus } from '../event-bus.js';
import { tenantOf } from '../plugins/auth.js';
import type { ApiDeps } from '../deps.js';
import { presentEvent } from './events.js';

const PAGE = 500;

/**
 * `GET /events/stream`: the tenant's events as Server-Sent Events. Each event's SSE id is its
 * per-tenant sequence number, so a client that reconnects with `Last-Event-ID` gets exactly what
 * followed, in order. Heartbeat comments keep proxies from closing idle streams; a session ends
 * after SSE_MAX_SESSION (the client reconnects and resumes).
 */
export const eventStreamRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const bus = new EventBus(deps.config.DATABASE_URL ?? '');
  // Open streams end when the server closes, so a shutdown never waits out a session.
  const enders = new Set<() => void>();
  app.addHook('preClose', async () => enders.forEach((end) => end()));
  app.addHook('onClose', () => bus.close());

  app.get('/events/stream', {
    config: { access: { scopes: ['events:read'] } },
    schema: {
      summary: 'Server-Sent Events of the tenant\'s events; resume with Last-Event-ID',
      tags: ['events'],
      headers: z.object({ 'last-event-id': z.string().regex(/^\d+$/, 'must be the seq of the last event received').optional() }),
      querystring: z.strictObject({
        type: z.string().transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean)).pipe(z.array(z.enum(EVENT_TYPES))).optional(),
        last_event_id: z.coerce.number().int().min(0).optional().describe('for clients that cannot send the header'),
      }),
    },
  }, async (request, reply) => {
    const tenantId = tenantOf(request);
    const fromHeader = request.headers['last-event-id'];
    let last = fromHeader !== undefined ? Number(fromHeader) : request.query.last_event_id ?? (await latestSeq(deps.db, tenantId));
    const types = request.query.type;

    let open = true;
    let wake: (() => void) | undefined;
    const signal = () => wake?.();
    const end = () => {
      open = false;
      signal();
    };
    enders.add(end);
    request.raw.on('close', end);
    const closeTimer = setTimeout(end, deps.config.SSE_MAX_SESSION);
    const unsubscribe = await bus.subscribe(tenantId, signal);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      // The socket goes with the stream: nothing to reuse, and a shutdown need not wait out a keep-alive.
      connection: 'close',
    });
    res.write(`retry: 2000\n: connected, after seq ${last}\n\n`);
    const write = async (chunk: string) => {
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    };

    try {
      while (open) {
        const events = await listEvents(deps.db, tenantId, { limit: PAGE, afterSeq: last, types });
        for (const event of events) {
          await write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(presentEvent(event))}\n\n`);
        }
        // With a type filter the last seq seen may be behind the tenant's; later pages start after it.
        if (events.length) last = events[events.length - 1]!.seq;
        if (events.length === PAGE) continue;
        const woken = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), deps.config.SSE_HEARTBEAT);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        wake = undefined;
        if (!woken && open) await write(': heartbeat\n\n');
      }
      if (!res.destroyed) res.end(': session closed; reconnect with Last-Event-ID\n\n');
    } catch (error) {
      request.log.warn({ err: error }, 'event stream ended with an error');
      res.destroy();
    } finally {
      clearTimeout(closeTimer);
      enders.delete(end);
      unsubscribe();
    }
  });
};
