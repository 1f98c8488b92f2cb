import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { ApiDeps } from './deps.js';
import { authPlugin } from './plugins/auth.js';
import { docsPlugin } from './plugins/docs.js';
import { errorsPlugin } from './plugins/errors.js';
import { nulCharactersPlugin } from './plugins/nul-characters.js';
import { eventStreamRoutes } from './routes/event-stream.js';
import { fileRoutes } from './routes/files.js';
import { flowRoutes } from './routes/flows.js';
import { eventRoutes } from './routes/events.js';
import { providerEventRoutes } from './routes/provider-events.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { campaignRoutes } from './routes/campaigns.js';
import { messageRoutes } from './routes/messages.js';
import { sendRoutes } from './routes/send.js';
import { settingsRoutes } from './routes/settings.js';
import { suppressionRoutes } from './routes/suppressions.js';
import { templateRoutes } from './routes/templates.js';
import { tenantRoutes } from './routes/tenants.js';
import { unsubscribeRoutes } from './routes/unsubscribe.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface BuildApiOptions extends ApiDeps {
  logger?: Logger | false;
}

/**
 * The engine's HTTP API as a Fastify instance, not yet listening: call `.listen()` or `.inject()`,
 * or mount it in a platform's own server.
 */
export async function buildApi(options: BuildApiOptions): Promise<FastifyInstance> {
  const { logger, ...deps } = options;
  const app = Fastify({
    loggerInstance: (logger || undefined) as FastifyBaseLogger | undefined,
    bodyLimit: deps.config.MAX_BODY_BYTES,
    requestIdHeader: 'x-request-id',
    // Long path parameters reach the route's schema, which names them, instead of a router 414.
    routerOptions: { maxParamLength: 2048 },
    // Errors raised before routing (a malformed URL) still leave in the API's error format.
    frameworkErrors: (error, _request, reply) => {
      void (reply as unknown as FastifyReply).status(error.statusCode ?? 400).send({ error: { code: 'bad_request', message: error.message } });
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API speaks JSON only; anything else is a 415 rather than a string the schemas would misread.
  app.removeContentTypeParser('text/plain');

  await app.register(errorsPlugin);
  await app.register(nulCharactersPlugin);
  await app.register(docsPlugin);
  await app.register(authPlugin, { db: deps.db, adminKey: deps.config.ADMIN_API_KEY });
  await app.register(healthRoutes, deps);
  await app.register(unsubscribeRoutes, deps);
  await app.register(
    async (v1) => {
      await v1.register(tenantRoutes, deps);
      await v1.register(keyRoutes, deps);
      await v1.register(settingsRoutes, deps);
      await v1.register(templateRoutes, deps);
      await v1.register(campaignRoutes, deps);
      await v1.register(suppressionRoutes, deps);
      await v1.register(sendRoutes, deps);
      await v1.register(flowRoutes, deps);
      await v1.register(fileRoutes, deps);
      await v1.register(messageRoutes, deps);
      await v1.register(webhookRoutes, deps);
      await v1.register(eventRoutes, deps);
      await v1.register(eventStreamRoutes, deps);
      await v1.register(providerEventRoutes, deps);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
