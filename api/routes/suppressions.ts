import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getCampaign } from '../../core/campaigns.js';
import { badRequest } from '../../core/errors.js';
import { addSuppression, listSuppressions, newSuppressionSchema, removeSuppression, type Suppression } from '../../core/suppressions.js';
import { tenantOf } from '../plugins/auth.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, idParamsSchema, listOf, listQuerySchema, page } from '../schemas/common.js';

const suppressionSchema = z
  .object({
    id: z.string(),
    channel: z.enum(['email', 'mail']),
    scope: z.enum(['account', 'campaign']),
    campaign_id: z.string().nullable(),
    value: z.string(),
    reason: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Suppression' });

const present = (s: Suppression): z.infer<typeof suppressionSchema> => ({
  id: s.id, channel: s.channel, scope: s.scope, campaign_id: s.campaignId, value: s.value, reason: s.reason, createdAt: s.createdAt.toISOString(),
});

export const suppressionRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const access = { scopes: ['suppressions' as const] };

  app.post('/suppressions', {
    config: { access },
    schema: { summary: 'Suppress an email address or a postal address, for the account or one campaign', tags: ['suppressions'], body: newSuppressionSchema, response: { 201: suppressionSchema, ...authErrors } },
  }, async (request, reply) => {
    const tenantId = tenantOf(request);
    if (request.body.campaign_id) {
      await getCampaign(deps.db, tenantId, request.body.campaign_id).catch(() => {
        throw badRequest(`body.campaign_id: campaign ${request.body.campaign_id} does not exist`, [{ field: 'body.campaign_id', message: 'does not exist' }]);
      });
    }
    return reply.status(201).send(present(await addSuppression(deps.db, tenantId, request.body)));
  });

  app.get('/suppressions', {
    config: { access },
    schema: {
      summary: 'List suppressions, newest first',
      tags: ['suppressions'],
      querystring: listQuerySchema.extend({ channel: z.enum(['email', 'mail']).optional(), campaign_id: z.string().optional() }),
      response: { 200: listOf(suppressionSchema), ...authErrors },
    },
  }, async (request) => {
    const q = request.query;
    const items = await listSuppressions(deps.db, tenantOf(request), { limit: q.limit, before: q.cursor, channel: q.channel, campaignId: q.campaign_id });
    return page(items.map(present), q.limit);
  });

  app.delete('/suppressions/:id', {
    config: { access },
    schema: { summary: 'Remove a suppression', tags: ['suppressions'], params: idParamsSchema, response: { 200: suppressionSchema, ...authErrors } },
  }, async (request) => present(await removeSuppression(deps.db, tenantOf(request), request.params.id)));
};
