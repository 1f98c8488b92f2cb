import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EVENT_TYPES, listEvents, type StoredEvent } from '../../core/events.js';
import { tenantOf } from '../plugins/auth.js';
import type { ApiDeps } from '../deps.js';
import { authErrors } from '../schemas/common.js';

export const eventSchema = z
  .object({
    id: z.string(),
    seq: z.number(),
    type: z.string(),
    message_id: z.string().nullable(),
    campaign_id: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    headers: z.record(z.string(), z.string()),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'Event' });

export const presentEvent = (e: StoredEvent): z.infer<typeof eventSchema> => ({
  id: e.id, seq: e.seq, type: e.type, message_id: e.messageId, campaign_id: e.campaignId, data: e.data, headers: e.headers, created_at: e.createdAt.toISOString(),
});

const typesParam = z
  .string()
  .transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
  .pipe(z.array(z.enum(EVENT_TYPES)));

export const eventRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get('/events', {
    config: { access: { scopes: ['events:read'] } },
    schema: {
      summary: "The tenant's event log: newest first, or oldest first after a sequence number",
      tags: ['events'],
      querystring: z.strictObject({
        limit: z.coerce.number().int().min(1).max(500).default(100),
        cursor: z.coerce.number().int().min(1).optional().describe('next_cursor of the previous page (newest-first paging)'),
        after: z.coerce.number().int().min(0).optional().describe('events with a larger seq, oldest first'),
        type: typesParam.optional().describe('comma-separated event types'),
        campaign_id: z.string().optional(),
        message_id: z.string().optional(),
      }),
      response: { 200: z.object({ items: z.array(eventSchema), next_cursor: z.string().optional() }), ...authErrors },
    },
  }, async (request) => {
    const q = request.query;
    const events = await listEvents(deps.db, tenantOf(request), {
      limit: q.limit, afterSeq: q.after, beforeSeq: q.cursor, types: q.type, campaignId: q.campaign_id, messageId: q.message_id,
    });
    const last = events[events.length - 1];
    const next = events.length === q.limit && last ? String(last.seq) : undefined;
    return { items: events.map(presentEvent), next_cursor: q.after === undefined ? next : undefined };
  });
};
