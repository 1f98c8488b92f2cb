import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  payloadDigest,
  POSTALYTICS_TYPES,
  postalyticsPayloadSchema,
  recordProviderEvent,
  SENDPOST_TYPES,
  sendpostPayloadSchema,
  tenantBySecret,
} from '../../core/provider-events.js';
import { badRequest } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';
import { errorBodySchema } from '../schemas/common.js';

const params = z.strictObject({ secret: z.string().min(1).max(200) });
const answer = z.object({ received: z.boolean(), duplicate: z.boolean(), message_id: z.string().nullable() });
const responses = { 200: answer, 400: errorBodySchema, 404: errorBodySchema };

/**
 * Inbound provider webhooks, authenticated by the tenant's secret in the path (the full URLs are in
 * the tenant's record). A wrong secret is a 404 and changes nothing.
 */
export const providerEventRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.post('/provider-events/sendpost/:secret', {
    config: { access: 'public' },
    schema: { summary: "SendPost's webhook payload (event + emailMessage)", tags: ['provider events'], params, body: sendpostPayloadSchema, response: responses },
  }, async (request) => {
    const tenantId = await tenantBySecret(deps.db, request.params.secret);
    const { event, emailMessage } = request.body;
    const metadata = event.eventMetadata ?? {};
    const result = await recordProviderEvent(deps.db, {
      tenantId,
      provider: 'sendpost',
      eventId: event.eventID,
      providerMessageId: event.messageID ?? emailMessage?.messageID,
      ourMessageId: emailMessage?.headers?.['X-Mailflow-Message-Id'],
      type: SENDPOST_TYPES[event.type]!,
      data: {
        smtpCode: event.smtpCode ?? metadata.smtpCode,
        smtpDescription: event.smtpDescription ?? metadata.smtpDescription,
        clickedURL: metadata.clickedURL,
        userAgent: metadata.userAgent,
        rawUserAgent: metadata.rawUserAgent,
        os: metadata.os,
        device: metadata.device,
        geo: metadata.geo,
        trackedIP: metadata.trackedIP,
      },
      payload: request.body,
    });
    return { received: true, duplicate: result.duplicate, message_id: result.messageId };
  });

  app.post('/provider-events/postalytics/:secret', {
    config: { access: 'public' },
    schema: { summary: 'Postalytics mail piece events (integer eventType)', tags: ['provider events'], params, body: postalyticsPayloadSchema, response: responses },
  }, async (request) => {
    const tenantId = await tenantBySecret(deps.db, request.params.secret);
    const body = request.body;
    const type = POSTALYTICS_TYPES[body.eventType];
    if (!type) throw badRequest(`body.eventType: ${body.eventType} is not a Postalytics mail piece event code`, [{ field: 'body.eventType', message: 'unknown code' }]);
    const pieceId = body.mailpiece_id ?? body.id;
    const result = await recordProviderEvent(deps.db, {
      tenantId,
      provider: 'postalytics',
      eventId: String(body.eventId ?? payloadDigest(body)),
      providerMessageId: pieceId === undefined ? undefined : String(pieceId),
      type,
      data: { eventType: body.eventType },
      payload: body,
    });
    return { received: true, duplicate: result.duplicate, message_id: result.messageId };
  });
};
