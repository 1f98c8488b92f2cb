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
 * Appends an event inside the caller's transaction, with the tenant's next sequence number, and
 * queues one webhook delivery per endpoint that wants it (the outbox), in that same transaction,
 * and, for an event of a message a flow sent, a signal to that flow's running enrollment.
 * The tenant row lock taken for the number also orders commits, so a reader that resumes after
 * seq N never misses an event committed later with a smaller number.
 */
export async function appendEvent(tx: Queryable, event: NewEvent): Promise<{ id: string; seq: number }> {
  return (await appendEvents(tx, event.tenantId, [event]))[0]!;
}

/**
 * Appends one tenant's events in one statement: the tenant's sequence is advanced once for all of
 * them (one lock, taken once), and their webhook deliveries and flow signals are queued with them.
 */
export async function appendEvents(tx: Queryable, tenantId: string, events: Array<Omit<NewEvent, 'tenantId'>>): Promise<Array<{ id: string; seq: number }>> {
  if (!events.length) return [];
  const ids = events.map(() => newId('evt'));
  const { rows } = await tx.query<{ id: string; seq: number; fanned: number; flowed: number }>(
    `WITH next AS (UPDATE tenants SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq - $2 AS base),
     ev AS (
       INSERT INTO events (id, tenant_id, seq, type, message_id, campaign_id, data, headers)
       SELECT e.id, $1, next.base + e.ord, e.type, e.message_id, e.campaign_id, e.data, e.headers
       FROM next, unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[]) WITH ORDINALITY
            AS e(id, type, message_id, campaign_id, data, headers, ord)
       RETURNING *),
     fan AS (
       INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, payload)
       SELECT 'dlv_' || substr(ev.id, 5) || '_' || substr(w.id, 5), ev.tenant_id, w.id, ev.id, ev.type,
              json_build_object('id', ev.id, 'type', ev.type, 'tenant_id', ev.tenant_id, 'seq', ev.seq,
                                'created_at', ev.created_at, 'message_id', ev.message_id, 'campaign_id', ev.campaign_id,
                                'data', ev.data, 'headers', ev.headers)
       FROM ev JOIN webhook_endpoints w ON w.tenant_id = ev.tenant_id
       WHERE w.deleted_at IS NULL AND (w.events IS NULL OR ev.type = ANY(w.events))
       RETURNING 1),
     flow AS (
       INSERT INTO flow_signals (tenant_id, enrollment_id, workflow_id, signal, payload)
       SELECT ev.tenant_id, e.id, e.workflow_id, 'messageEvent', json_build_object('messageId', ev.message_id, 'type', ev.type, 'eventId', ev.id)
       FROM ev JOIN messages m ON m.id = ev.message_id JOIN flow_enrollments e ON e.id = m.enrollment_id
       WHERE e.status = 'running'
       RETURNING 1)
     SELECT ev.id, ev.seq, (SELECT count(*) FROM fan)::int AS fanned, (SELECT count(*) FROM flow)::int AS flowed FROM ev ORDER BY ev.seq`,
    [
      tenantId,
      events.length,
      ids,
      events.map((e) => e.type),
      events.map((e) => e.messageId ?? null),
      events.map((e) => e.campaignId ?? null),
      events.map((e) => JSON.stringify(e.data ?? {})),
      events.map((e) => JSON.stringify(e.headers ?? {})),
    ],
  );
  // Wakes live streams of this tenant, and on commit the webhook dispatcher and the flow signal
  // relay when these events queued work for them.
  const { fanned, flowed } = rows[0]!;
  await tx.query(
    `SELECT pg_notify('mailflow_events', $1)${fanned > 0 ? `, pg_notify('mailflow_webhooks', '')` : ''}${flowed > 0 ? `, pg_notify('mailflow_flow_signals', '')` : ''}`,
    [tenantId],
  );
  const seqOf = new Map(rows.map((r) => [r.id, Number(r.seq)]));
  return ids.map((id) => ({ id, seq: seqOf.get(id)! }));
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

/** Every event of one message, oldest first. */
export function eventsOfMessage(db: Queryable, tenantId: string, messageId: string): Promise<StoredEvent[]> {
  return listEvents(db, tenantId, { messageId, afterSeq: 0, limit: 10_000 });
}

/** A tenant's events after a sequence number (oldest first: a cursor that never skips) or newest first. */
export async function listEvents(
  db: Queryable,
  tenantId: string,
  filter: { limit: number; afterSeq?: number; beforeSeq?: number; types?: string[]; campaignId?: string; messageId?: string },
): Promise<StoredEvent[]> {
  const ascending = filter.afterSeq !== undefined;
  const { rows } = await db.query(
    `SELECT id, seq, type, message_id, campaign_id, data, headers, created_at FROM events
     WHERE tenant_id = $1 AND ($2::bigint IS NULL OR seq > $2) AND ($3::bigint IS NULL OR seq < $3)
       AND ($4::text[] IS NULL OR type = ANY($4)) AND ($5::text IS NULL OR campaign_id = $5) AND ($6::text IS NULL OR message_id = $6)
     ORDER BY seq ${ascending ? 'ASC' : 'DESC'} LIMIT $7`,
    [tenantId, filter.afterSeq ?? null, filter.beforeSeq ?? null, filter.types?.length ? filter.types : null, filter.campaignId ?? null, filter.messageId ?? null, filter.limit],
  );
  return rows.map((r) => ({
    id: r.id, seq: r.seq, type: r.type, messageId: r.message_id, campaignId: r.campaign_id, data: r.data, headers: r.headers, createdAt: r.created_at,
  }));
}

export async function latestSeq(db: Queryable, tenantId: string): Promise<number> {
  const { rows } = await db.query<{ event_seq: number }>('SELECT event_seq FROM tenants WHERE id = $1', [tenantId]);
  return rows[0]?.event_seq ?? 0;
}
