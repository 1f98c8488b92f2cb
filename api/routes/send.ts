import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { campaignForSend, type Campaign } from '../../core/campaigns.js';
import { customHeadersSchema, mailContactSchemaWith } from '../../core/contacts.js';
import { badRequest } from '../../core/errors.js';
import { acceptMessages, type NewMessage } from '../../core/messages.js';
import { formatAddress, type AddressFields } from '../../core/postal-address.js';
import { recipientKey } from '../../core/suppressions.js';
import { checkTemplate } from '../../core/template-syntax.js';
import { getTenantSettings } from '../../core/tenant-settings.js';
import { getTemplate } from '../../core/templates.js';
import { tenantOf } from '../plugins/auth.js';
import { perKeyRateLimit } from '../plugins/rate-limit.js';
import type { ApiDeps } from '../deps.js';
import { errorBodySchema } from '../schemas/common.js';

const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
});

const sendErrors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 429: errorBodySchema };

const emailBodySchema = z.strictObject({
  from: z.strictObject({ email: z.email(), name: z.string().max(200).optional() }).optional(),
  to: z
    .array(z.strictObject({ email: z.email(), name: z.string().max(200).optional(), customFields: z.record(z.string(), z.unknown()).optional() }))
    .min(1, 'needs at least one recipient')
    .max(1000, 'at most 1000 recipients per request'),
  subject: z.string().min(1).max(998).optional(),
  htmlBody: z.string().min(1).max(512_000).optional(),
  textBody: z.string().max(512_000).optional(),
  headers: customHeadersSchema.optional(),
  ippool: z.string().min(1).max(200).optional(),
  groups: z.array(z.string().min(1).max(100)).max(20).optional(),
  trackOpens: z.boolean().optional(),
  trackClicks: z.boolean().optional(),
  campaign_id: z.string().min(1).max(100).optional(),
  templateId: z.string().min(1).max(100).optional(),
});

/** `/send` as Postalytics clients call it: the flat contact, with the campaign in the path, the body or the query. */
const sendBodySchema = mailContactSchemaWith({ campaign_id: z.string().min(1).max(100).optional(), headers: customHeadersSchema.optional() });

export const sendRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const config = { access: { scopes: ['send' as const] } };
  const preHandler = perKeyRateLimit(deps.db);
  const keyFor = (header: string | undefined, suffix?: string) => (header ? (suffix === undefined ? header : `${header}:${suffix}`) : randomUUID());

  const sendMail = async (tenantId: string, campaignId: string | undefined, body: z.infer<typeof sendBodySchema>, idempotencyKey: string | undefined) => {
    if (!campaignId) {
      throw badRequest('campaign_id: is required; put it in the path (/api/v1/send/{campaign_id}), the body, or ?campaign_id=', [{ field: 'campaign_id', message: 'is required' }]);
    }
    const campaign: Campaign = await campaignForSend(deps.db, tenantId, campaignId, 'mail');
    if (campaign.type === 'flow') throw badRequest(`campaign_id: ${campaignId} is a flow campaign; enroll contacts with POST /api/v1/flow`, [{ field: 'campaign_id', message: 'is a flow campaign' }]);
    const { campaign_id: _c, headers, ...fields } = body;
    // The schema has checked street, city and zip; what remains is the contact as Postalytics takes it.
    const contact = fields as AddressFields & Record<string, string>;
    const [message] = await acceptMessages(deps.db, [
      {
        tenantId,
        idempotencyKey: keyFor(idempotencyKey),
        channel: 'mail',
        campaignId: campaign.id,
        campaignVersion: campaign.version,
        templateId: campaign.templateId,
        recipient: formatAddress(contact),
        recipientKey: recipientKey('mail', contact),
        request: contact,
        headers: headers ?? {},
      },
    ]);
    return { message_id: message!.id, workflow_id: message!.workflowId };
  };

  const sendResponse = { 202: z.object({ message_id: z.string(), workflow_id: z.string() }), ...sendErrors };

  app.post('/send', {
    config,
    preHandler,
    schema: { summary: 'Send one mail piece (Postalytics /send body)', tags: ['send'], headers: idempotencyHeaders, querystring: z.strictObject({ campaign_id: z.string().min(1).optional() }), body: sendBodySchema, response: sendResponse },
  }, async (request, reply) => reply.status(202).send(await sendMail(tenantOf(request), request.body.campaign_id ?? request.query.campaign_id, request.body, request.headers['idempotency-key'])));

  app.post('/send/:campaign_id', {
    config,
    preHandler,
    schema: { summary: 'Send one mail piece for the campaign in the path', tags: ['send'], headers: idempotencyHeaders, params: z.strictObject({ campaign_id: z.string().min(1).max(100) }), body: sendBodySchema, response: sendResponse },
  }, async (request, reply) => reply.status(202).send(await sendMail(tenantOf(request), request.params.campaign_id, request.body, request.headers['idempotency-key'])));

  app.post('/email', {
    config,
    preHandler,
    schema: {
      summary: 'Send an email to each recipient (SendPost body)',
      tags: ['send'],
      headers: idempotencyHeaders,
      body: emailBodySchema,
      response: { 202: z.object({ messages: z.array(z.object({ message_id: z.string(), to: z.string(), workflow_id: z.string() })) }), ...sendErrors },
    },
  }, async (request, reply) => {
    const tenantId = tenantOf(request);
    const body = request.body;
    const campaign = body.campaign_id ? await campaignForSend(deps.db, tenantId, body.campaign_id, 'email') : undefined;
    const templateId = body.templateId ?? campaign?.templateId;
    if (templateId) {
      const template = await getTemplate(deps.db, tenantId, templateId).catch(() => undefined);
      if (!template) throw badRequest(`body.templateId: template ${templateId} does not exist`, [{ field: 'body.templateId', message: 'does not exist' }]);
      if (template.channel !== 'email') throw badRequest(`body.templateId: template ${templateId} is a mail template`, [{ field: 'body.templateId', message: 'is a mail template' }]);
    } else {
      for (const field of ['subject', 'htmlBody'] as const) {
        if (!body[field]) throw badRequest(`body.${field}: is required unless a templateId (or a campaign with one) is given`, [{ field: `body.${field}`, message: 'is required' }]);
      }
      checkTemplate({ subject: body.subject, htmlBody: body.htmlBody, textBody: body.textBody });
    }
    const from = body.from ?? (await getTenantSettings(deps.db, tenantId)).sender;
    if (!from) throw badRequest('body.from: is required (or set a default sender in the tenant settings)', [{ field: 'body.from', message: 'is required' }]);
    const key = request.headers['idempotency-key'];
    const messages: NewMessage[] = body.to.map((to, index) => ({
      tenantId,
      idempotencyKey: keyFor(key, body.to.length > 1 || key ? String(index) : undefined),
      channel: 'email',
      campaignId: campaign?.id,
      campaignVersion: campaign?.version,
      templateId,
      recipient: to.email,
      recipientKey: recipientKey('email', to.email),
      request: {
        from,
        to,
        ...(templateId ? {} : { subject: body.subject, htmlBody: body.htmlBody, textBody: body.textBody }),
        ippool: body.ippool,
        groups: body.groups,
        trackOpens: body.trackOpens,
        trackClicks: body.trackClicks,
      },
      headers: body.headers ?? {},
    }));
    const accepted = await acceptMessages(deps.db, messages);
    return reply.status(202).send({ messages: accepted.map((m) => ({ message_id: m.id, to: m.recipient, workflow_id: m.workflowId })) });
  });
};
