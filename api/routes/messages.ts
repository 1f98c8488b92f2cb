import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { eventsOfMessage } from '../../core/events.js';
import { eventSchema, presentEvent } from './events.js';
import { getMessage } from '../../core/messages.js';
import { listSandboxMessages } from '../../core/sandbox.js';
import { tenantOf } from '../plugins/auth.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, idParamsSchema, listOf, listQuerySchema, page } from '../schemas/common.js';

const messageSchema = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    status: z.string(),
    status_reason: z.string().nullable(),
    channel: z.enum(['email', 'mail']),
    recipient: z.string(),
    campaign_id: z.string().nullable(),
    template_id: z.string().nullable(),
    template_version: z.number().nullable(),
    provider: z.string().nullable(),
    provider_message_id: z.string().nullable(),
    headers: z.record(z.string(), z.string()),
    created_at: z.iso.datetime(),
    events: z.array(eventSchema),
  })
  .meta({ id: 'Message' });

const sandboxSchema = z.object({
  id: z.string(), messageId: z.string(), channel: z.string(), recipient: z.string(), subject: z.string().nullable(), html: z.string(), text: z.string().nullable(),
  headers: z.record(z.string(), z.string()), payload: z.record(z.string(), z.unknown()), createdAt: z.string(),
}).meta({ id: 'SandboxMessage' });

export const messageRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const access = { scopes: ['events:read' as const] };

  app.get('/messages/:id', {
    config: { access },
    schema: { summary: 'A message: status, provider ids, headers and its events', tags: ['messages'], params: idParamsSchema, response: { 200: messageSchema, ...authErrors } },
  }, async (request) => {
    const tenantId = tenantOf(request);
    const m = await getMessage(deps.db, tenantId, request.params.id);
    const events = await eventsOfMessage(deps.db, tenantId, m.id);
    return {
      id: m.id, workflow_id: m.workflowId, status: m.status, status_reason: m.statusReason, channel: m.channel, recipient: m.recipient,
      campaign_id: m.campaignId, template_id: m.templateId, template_version: m.templateVersion, provider: m.provider,
      provider_message_id: m.providerMessageId, headers: m.headers, created_at: m.createdAt.toISOString(),
      events: events.map(presentEvent),
    };
  });

  app.get('/sandbox/messages', {
    config: { access },
    schema: {
      summary: 'What the sandbox provider received, newest first',
      tags: ['messages'],
      querystring: listQuerySchema.extend({ message_id: z.string().optional() }),
      response: { 200: listOf(sandboxSchema), ...authErrors },
    },
  }, async (request) => {
    const q = request.query;
    return page(await listSandboxMessages(deps.db, tenantOf(request), { limit: q.limit, before: q.cursor, messageId: q.message_id }), q.limit);
  });
};
