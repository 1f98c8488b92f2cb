import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createWebhook, deleteWebhook, listDeliveries, listWebhooks, newWebhookSchema, replayDelivery, type WebhookEndpoint } from '../../core/webhooks.js';
import { tenantOf } from '../plugins/auth.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, idParamsSchema, listOf, listQuerySchema, page } from '../schemas/common.js';

const webhookSchema = z.object({ id: z.string(), url: z.string(), events: z.array(z.string()).nullable(), createdAt: z.iso.datetime() }).meta({ id: 'Webhook' });
const deliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.array(z.object({ attempt: z.number(), statusCode: z.number().nullable(), error: z.string().nullable(), durationMs: z.number(), at: z.string() })),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

const present = (w: WebhookEndpoint): z.infer<typeof webhookSchema> => ({ id: w.id, url: w.url, events: w.events, createdAt: w.createdAt.toISOString() });

export const webhookRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const access = { scopes: ['webhooks' as const] };

  app.post('/webhooks', {
    config: { access },
    schema: { summary: 'Add an endpoint; its whsec_ signing secret is shown this once', tags: ['webhooks'], body: newWebhookSchema, response: { 201: webhookSchema.extend({ secret: z.string() }), ...authErrors } },
  }, async (request, reply) => {
    const created = await createWebhook(deps.db, tenantOf(request), request.body);
    return reply.status(201).send({ ...present(created), secret: created.secret });
  });

  app.get('/webhooks', {
    config: { access },
    schema: { summary: 'List endpoints, newest first', tags: ['webhooks'], querystring: listQuerySchema, response: { 200: listOf(webhookSchema), ...authErrors } },
  }, async (request) => page((await listWebhooks(deps.db, tenantOf(request), { limit: request.query.limit, before: request.query.cursor })).map(present), request.query.limit));

  app.delete('/webhooks/:id', {
    config: { access },
    schema: { summary: 'Delete an endpoint; its pending deliveries are dropped', tags: ['webhooks'], params: idParamsSchema, response: { 200: webhookSchema, ...authErrors } },
  }, async (request) => present(await deleteWebhook(deps.db, tenantOf(request), request.params.id)));

  app.get('/webhooks/:id/deliveries', {
    config: { access },
    schema: { summary: "An endpoint's deliveries with every attempt's status code", tags: ['webhooks'], params: idParamsSchema, querystring: listQuerySchema, response: { 200: listOf(deliverySchema), ...authErrors } },
  }, async (request) => page(await listDeliveries(deps.db, tenantOf(request), request.params.id, { limit: request.query.limit, before: request.query.cursor }), request.query.limit));

  app.post('/webhooks/deliveries/:id/replay', {
    config: { access },
    schema: { summary: 'Send a delivery again', tags: ['webhooks'], params: idParamsSchema, response: { 202: z.object({ id: z.string(), status: z.literal('pending') }), ...authErrors } },
  }, async (request, reply) => {
    await replayDelivery(deps.db, tenantOf(request), request.params.id);
    return reply.status(202).send({ id: request.params.id, status: 'pending' as const });
  });
};
