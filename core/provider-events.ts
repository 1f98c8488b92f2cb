import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Db, Queryable } from './db.js';
import { withTransaction } from './db.js';
import { notFound } from './errors.js';
import { appendEvent, type EventType } from './events.js';
import { newId } from './ids.js';

/** SendPost's event codes (reference 003): 0 processed … 8 spam. */
export const SENDPOST_TYPES: Record<number, EventType> = {
  0: 'message.processed',
  1: 'message.dropped',
  2: 'message.delivered',
  3: 'message.soft_bounced',
  4: 'message.hard_bounced',
  5: 'message.opened',
  6: 'message.clicked',
  7: 'message.unsubscribed',
  8: 'message.spam',
};
/** Events after which the address is not mailed again. */
const SUPPRESSING: Partial<Record<EventType, string>> = {
  'message.hard_bounced': 'hard bounce',
  'message.spam': 'spam complaint',
  'message.unsubscribed': 'unsubscribed at the provider',
  'mail.returned': 'returned to sender',
};

/** Postalytics mail piece event codes. */
export const POSTALYTICS_TYPES: Record<number, EventType> = {
  0: 'mail.created',
  9: 'mail.addressed',
  10: 'mail.printed',
  11: 'mail.mailed',
  4: 'mail.in_transit',
  5: 'mail.in_local_area',
  6: 'mail.delivered',
  2: 'mail.rerouted',
  3: 'mail.returned',
};

export const sendpostPayloadSchema = z.object({
  event: z.looseObject({
    eventID: z.string().min(1),
    type: z.number().int().min(0).max(8),
    messageID: z.string().optional(),
    eventMetadata: z.record(z.string(), z.unknown()).optional(),
    smtpCode: z.number().optional(),
    smtpDescription: z.string().optional(),
  }),
  emailMessage: z.looseObject({ messageID: z.string().optional(), headers: z.record(z.string(), z.string()).optional() }).optional(),
});

export const postalyticsPayloadSchema = z.looseObject({
  eventType: z.number().int(),
  eventId: z.union([z.string(), z.number()]).optional(),
  mailpiece_id: z.union([z.string(), z.number()]).optional(),
  id: z.union([z.string(), z.number()]).optional(),
});

export async function tenantBySecret(db: Queryable, secret: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM tenants WHERE provider_events_secret = $1', [secret]);
  if (!rows[0]) throw notFound('endpoint');
  return rows[0].id;
}

interface MatchedMessage {
  id: string;
  campaign_id: string | null;
  headers: Record<string, string>;
  channel: 'email' | 'mail';
  recipient_key: string;
}

/**
 * Records one inbound provider event: once per (tenant, provider, event id). The message is found
 * by the provider's id for it, or by our own `X-Mailflow-Message-Id` header; an event for a message
 * we do not know is kept and acknowledged, never bounced back for the provider to retry forever.
 */
export async function recordProviderEvent(
  db: Db,
  input: { tenantId: string; provider: 'sendpost' | 'postalytics'; eventId: string; providerMessageId?: string; ourMessageId?: string; type: EventType; data: Record<string, unknown>; payload: unknown },
): Promise<{ duplicate: boolean; messageId: string | null }> {
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query<MatchedMessage>(
      `SELECT id, campaign_id, headers, channel, recipient_key FROM messages
       WHERE tenant_id = $1 AND ((provider_message_id = $2 AND $2 IS NOT NULL) OR (id = $3 AND $3 IS NOT NULL)) LIMIT 1`,
      [input.tenantId, input.providerMessageId ?? null, input.ourMessageId ?? null],
    );
    const message = rows[0];
    const inserted = await tx.query(
      `INSERT INTO provider_events (tenant_id, provider, event_id, message_id, type, payload) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [input.tenantId, input.provider, input.eventId, message?.id ?? null, input.type, JSON.stringify(input.payload)],
    );
    if (!inserted.rowCount) return { duplicate: true, messageId: message?.id ?? null };
    if (!message) return { duplicate: false, messageId: null };
    await appendEvent(tx, {
      tenantId: input.tenantId,
      type: input.type,
      messageId: message.id,
      campaignId: message.campaign_id,
      headers: message.headers,
      data: { ...input.data, provider: input.provider, provider_event_id: input.eventId },
    });
    const reason = SUPPRESSING[input.type];
    if (reason) {
      await tx.query(
        `INSERT INTO suppressions (id, tenant_id, channel, scope, campaign_id, value_key, value, reason)
         VALUES ($1, $2, $3, 'account', '', $4, $4, $5) ON CONFLICT DO NOTHING`,
        [newId('sup'), input.tenantId, message.channel, message.recipient_key, reason],
      );
    }
    return { duplicate: false, messageId: message.id };
  });
}

/** A stable id for providers that send none: the payload's own digest. */
export const payloadDigest = (payload: unknown) => createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 32);
