import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { campaignDefinitionSchema, createCampaign, getCampaign, listCampaigns, updateCampaign, type Campaign } from '../../core/campaigns.js';
import { tenantOf } from '../plugins/auth.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, idParamsSchema, listOf, listQuerySchema, page } from '../schemas/common.js';

const campaignSchema = campaignDefinitionSchema
  .extend({ id: z.string(), version: z.number(), createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() })
  .meta({ id: 'Campaign' });

const present = ({ tenantId: _tenant, createdAt, updatedAt, ...campaign }: Campaign): z.infer<typeof campaignSchema> => ({
  ...campaign,
  createdAt: createdAt.toISOString(),
  updatedAt: updatedAt.toISOString(),
});

export const campaignRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const access = { scopes: ['campaigns' as const] };

  app.post('/campaigns', {
    config: { access },
    schema: { summary: 'Create a campaign (triggered, flow or file)', tags: ['campaigns'], body: campaignDefinitionSchema, response: { 201: campaignSchema, ...authErrors } },
  }, async (request, reply) => reply.status(201).send(present(await createCampaign(deps.db, tenantOf(request), request.body))));

  app.put('/campaigns/:id', {
    config: { access },
    schema: { summary: 'Save a changed campaign as its next version', tags: ['campaigns'], params: idParamsSchema, body: campaignDefinitionSchema, response: { 200: campaignSchema, ...authErrors } },
  }, async (request) => present(await updateCampaign(deps.db, tenantOf(request), request.params.id, request.body)));

  app.get('/campaigns/:id', {
    config: { access },
    schema: { summary: 'Read a campaign', tags: ['campaigns'], params: idParamsSchema, response: { 200: campaignSchema, ...authErrors } },
  }, async (request) => present(await getCampaign(deps.db, tenantOf(request), request.params.id)));

  app.get('/campaigns', {
    config: { access },
    schema: { summary: 'List campaigns, newest first', tags: ['campaigns'], querystring: listQuerySchema, response: { 200: listOf(campaignSchema), ...authErrors } },
  }, async (request) => page((await listCampaigns(deps.db, tenantOf(request), { limit: request.query.limit, before: request.query.cursor })).map(present), request.query.limit));
};
