import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createTenant, getTenant, listTenants, newTenantSchema, type Tenant } from '../../core/tenants.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, idParamsSchema, listOf, listQuerySchema, page } from '../schemas/common.js';

const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    companyName: z.string().nullable(),
    createdAt: z.iso.datetime(),
    providerEvents: z.object({ sendpost: z.url(), postalytics: z.url() }),
  })
  .meta({ id: 'Tenant' });

export const tenantRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const present = (tenant: Tenant): z.infer<typeof tenantSchema> => ({
    id: tenant.id,
    name: tenant.name,
    companyName: tenant.companyName,
    createdAt: tenant.createdAt.toISOString(),
    providerEvents: {
      sendpost: `${deps.config.publicUrl}/api/v1/provider-events/sendpost/${tenant.providerEventsSecret}`,
      postalytics: `${deps.config.publicUrl}/api/v1/provider-events/postalytics/${tenant.providerEventsSecret}`,
    },
  });

  app.post(
    '/tenants',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Create a tenant and its first API key (every scope), shown this once',
        tags: ['tenants'],
        body: newTenantSchema,
        response: { 201: tenantSchema.extend({ apiKey: z.string() }), ...authErrors },
      },
    },
    async (request, reply) => {
      const { tenant, apiKey } = await createTenant(deps.db, request.body);
      return reply.status(201).send({ ...present(tenant), apiKey: apiKey.key });
    },
  );

  app.get(
    '/tenants',
    {
      config: { access: 'admin' },
      schema: { summary: 'List tenants, newest first', tags: ['tenants'], querystring: listQuerySchema, response: { 200: listOf(tenantSchema), ...authErrors } },
    },
    async (request) => {
      const tenants = await listTenants(deps.db, { limit: request.query.limit, before: request.query.cursor });
      return page(tenants.map(present), request.query.limit);
    },
  );

  app.get(
    '/tenants/:id',
    {
      config: { access: 'admin' },
      schema: { summary: 'Read a tenant', tags: ['tenants'], params: idParamsSchema, response: { 200: tenantSchema, ...authErrors } },
    },
    async (request) => present(await getTenant(deps.db, request.params.id)),
  );
};
