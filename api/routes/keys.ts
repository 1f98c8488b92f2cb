import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { issueApiKey, listApiKeys, newApiKeySchema, revokeApiKey, type ApiKey } from '../../core/api-keys.js';
import { SCOPES } from '../../core/scopes.js';
import { tenantOf } from '../plugins/auth.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, idParamsSchema, listOf, listQuerySchema, page } from '../schemas/common.js';

const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    prefix: z.string(),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiKey' });

const present = (key: ApiKey): z.infer<typeof apiKeySchema> => ({
  id: key.id,
  name: key.name,
  scopes: key.scopes,
  prefix: key.prefix,
  createdAt: key.createdAt.toISOString(),
  revokedAt: key.revokedAt?.toISOString() ?? null,
});

export const keyRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const access = { scopes: ['keys' as const] };

  app.post(
    '/keys',
    {
      config: { access },
      schema: {
        summary: 'Create an API key with the given scopes; the key is shown this once',
        tags: ['keys'],
        body: newApiKeySchema,
        response: { 201: apiKeySchema.extend({ key: z.string() }), ...authErrors },
      },
    },
    async (request, reply) => {
      const issued = await issueApiKey(deps.db, tenantOf(request), request.body);
      return reply.status(201).send({ ...present(issued), key: issued.key });
    },
  );

  app.get(
    '/keys',
    {
      config: { access },
      schema: { summary: "List this tenant's keys (never the keys themselves)", tags: ['keys'], querystring: listQuerySchema, response: { 200: listOf(apiKeySchema), ...authErrors } },
    },
    async (request) => {
      const keys = await listApiKeys(deps.db, tenantOf(request), { limit: request.query.limit, before: request.query.cursor });
      return page(keys.map(present), request.query.limit);
    },
  );

  app.delete(
    '/keys/:id',
    {
      config: { access },
      schema: { summary: 'Revoke a key; the next request made with it is refused', tags: ['keys'], params: idParamsSchema, response: { 200: apiKeySchema, ...authErrors } },
    },
    async (request) => present(await revokeApiKey(deps.db, tenantOf(request), request.params.id)),
  );
};
