import type { Queryable } from './db.js';
import { newId } from './ids.js';

export const EVENT_TYPES = [
  'message.processed', 'message.dropped', 'message.failed', 'message.delivered', 'message.soft_bounced',
  'message.hard_bounced', 'message.opened', 'message.clicked', 'message.unsubscribed', 'message.spam',
  'mail.created', 'mail.addressed', 'mail.printed', 'mail.mailed', 'mail.in_transit', 'mail.in_local_area',
  'mail.delivered', 'mail.rerouted', 'mail.returned',
  'flow.enrolled', 'flow.step', 'flow.completed', 'flow.exited',
  'file.received', 'file.processed', 'file.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  tenantId: string;
  type: EventType;
  messageId?: string | null;
  campaignId?: string | null;
  data?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * Appends an event inside the caller's transaction, with the tenant's next sequence number. The
 * tenant row lock taken for the number also orders commits, so a reader that resumes after seq N
 * never misses an event committed later with a smaller number.
 */
export async function appendEvent(tx: Queryable, event: NewEvent): Promise<{ id: string; seq: number }> {
  const id = newId('evt');
  const { rows } = await tx.query<{ seq: number }>(
    `WITH next AS (UPDATE tenants SET event_seq = event_seq + 1 WHERE id = $2 RETURNING event_seq)
     INSERT INTO events (id, tenant_id, seq, type, message_id, campaign_id, data, headers)
     SELECT $1, $2, next.event_seq, $3, $4, $5, $6, $7 FROM next RETURNING seq`,
    [id, event.tenantId, event.type, event.messageId ?? null, event.campaignId ?? null, event.data ?? {}, event.headers ?? {}],
  );
  return { id, seq: rows[0]!.seq };
}

export interface StoredEvent {
  id: string;
  seq: number;
  type: EventType;
  messageId: string | null;
  campaignId: string | null;
  data: Record<string, unknown>;
  headers: Record<string, string>;
  createdAt: Date;
}

export async function eventsOfMessage(db: Queryable, tenantId: string, messageId: string): Promise<StoredEvent[]> {
  const { rows } = await db.query(
    `SELECT id, seq, type, message_id, campaign_id, data, headers, created_at FROM events
     WHERE tenant_id = $1 AND message_id = $2 ORDER BY seq`,
    [tenantId, messageId],
  );
  return rows.map((r) => ({
    id: r.id, seq: r.seq, type: r.type, messageId: r.message_id, campaignId: r.campaign_id, data: r.data, headers: r.headers, createdAt: r.created_at,
  }));
}
