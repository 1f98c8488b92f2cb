import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TemplateRenderer } from '../../core/render.js';
import { createTemplate, editTemplate, getTemplate, listTemplates, newTemplateSchema, templateEditSchema, type TemplateVersion } from '../../core/templates.js';
import { tenantOf } from '../plugins/auth.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, idParamsSchema, listOf, listQuerySchema, page } from '../schemas/common.js';

const templateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    channel: z.enum(['email', 'mail']),
    version: z.number(),
    subject: z.string().nullable(),
    html: z.string(),
    text: z.string().nullable(),
    variables: z.array(z.string()),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Template' });

const present = (t: TemplateVersion): z.infer<typeof templateSchema> => ({
  id: t.templateId,
  name: t.name,
  channel: t.channel,
  version: t.version,
  subject: t.subject,
  html: t.html,
  text: t.text,
  variables: t.variables,
  createdAt: t.createdAt.toISOString(),
});

export const templateRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const access = { scopes: ['templates' as const] };
  const renderer = new TemplateRenderer();

  app.post('/templates', {
    config: { access },
    schema: { summary: 'Create a template; bad Handlebars is a 400 naming line and column', tags: ['templates'], body: newTemplateSchema, response: { 201: templateSchema, ...authErrors } },
  }, async (request, reply) => reply.status(201).send(present(await createTemplate(deps.db, tenantOf(request), request.body))));

  app.put('/templates/:id', {
    config: { access },
    schema: { summary: 'Save an edit as the next version (messages keep the version they were rendered with)', tags: ['templates'], params: idParamsSchema, body: templateEditSchema, response: { 200: templateSchema, ...authErrors } },
  }, async (request) => present(await editTemplate(deps.db, tenantOf(request), request.params.id, request.body)));

  app.get('/templates/:id', {
    config: { access },
    schema: { summary: 'Read a template (latest version, or ?version=N)', tags: ['templates'], params: idParamsSchema, querystring: z.strictObject({ version: z.coerce.number().int().min(1).optional() }), response: { 200: templateSchema, ...authErrors } },
  }, async (request) => present(await getTemplate(deps.db, tenantOf(request), request.params.id, request.query.version)));

  app.get('/templates', {
    config: { access },
    schema: { summary: 'List templates, newest first', tags: ['templates'], querystring: listQuerySchema, response: { 200: listOf(templateSchema), ...authErrors } },
  }, async (request) => page((await listTemplates(deps.db, tenantOf(request), { limit: request.query.limit, before: request.query.cursor })).map(present), request.query.limit));

  app.post('/templates/:id/preview', {
    config: { access },
    schema: {
      summary: 'Render a template with the given fields',
      tags: ['templates'],
      params: idParamsSchema,
      body: z.strictObject({ fields: z.record(z.string(), z.unknown()).default({}), version: z.number().int().min(1).optional() }),
      response: { 200: z.object({ subject: z.string().optional(), html: z.string(), text: z.string().optional() }), ...authErrors },
    },
  }, async (request) => {
    const tenantId = tenantOf(request);
    const t = await getTemplate(deps.db, tenantId, request.params.id, request.body.version);
    const fields = { unsubscribe: `${deps.config.publicUrl}/u/preview`, ...request.body.fields };
    return renderer.render(tenantId, { cacheKey: `${t.templateId}@${t.version}`, subject: t.subject, html: t.html, text: t.text }, fields);
  });
};
