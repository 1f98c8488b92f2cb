import { createHash } from 'node:crypto';
import type { Db, Queryable } from './db.js';
import { withTransaction } from './db.js';
import { conflict, notFound } from './errors.js';
import { appendEvent, appendEvents, type EventType } from './events.js';
import { newId } from './ids.js';
import type { Channel } from './templates.js';

export type MessageStatus = 'accepted' | 'rendered' | 'sent' | 'dropped' | 'failed';

export interface Rendering {
  subject?: string;
  html: string;
  text?: string;
  headers: Record<string, string>;
}

export interface Message {
  id: string;
  tenantId: string;
  idempotencyKey: string;
  workflowId: string;
  channel: Channel;
  campaignId: string | null;
  campaignVersion: number | null;
  templateId: string | null;
  templateVersion: number | null;
  recipient: string;
  recipientKey: string;
  request: Record<string, unknown>;
  headers: Record<string, string>;
  status: MessageStatus;
  statusReason: string | null;
  provider: string | null;
  providerMessageId: string | null;
  rendered: Rendering | null;
  enrollmentId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewMessage {
  tenantId: string;
  /** The caller's Idempotency-Key (per recipient), or a fresh one. */
  idempotencyKey: string;
  channel: Channel;
  campaignId?: string;
  campaignVersion?: number;
  templateId?: string;
  recipient: string;
  recipientKey: string;
  request: Record<string, unknown>;
  headers: Record<string, string>;
  /** The flow enrollment that sends it. */
  enrollmentId?: string;
  /** The workflow that sends it (a flow, a file), when not its own sendMessage workflow: the send relay leaves it alone. */
  workflowId?: string;
}

/** Workflow ids are the idempotency keys: a retried request finds the same workflow. */
export const sendWorkflowId = (tenantId: string, idempotencyKey: string) => `send/${tenantId}/${idempotencyKey}`;

const requestHash = (m: NewMessage) => createHash('sha256').update(JSON.stringify([m.channel, m.campaignId ?? null, m.templateId ?? null, m.request, m.headers])).digest('base64url');

const fromRow = (r: Record<string, any>): Message => ({
  id: r.id,
  tenantId: r.tenant_id,
  idempotencyKey: r.idempotency_key,
  workflowId: r.workflow_id,
  channel: r.channel,
  campaignId: r.campaign_id,
  campaignVersion: r.campaign_version,
  templateId: r.template_id,
  templateVersion: r.template_version,
  recipient: r.recipient,
  recipientKey: r.recipient_key,
  request: r.request,
  headers: r.headers,
  status: r.status,
  statusReason: r.status_reason,
  provider: r.provider,
  providerMessageId: r.provider_message_id,
  rendered: r.rendered,
  enrollmentId: r.enrollment_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * Durably accepts messages into the ledger in one transaction and wakes the send relay. A message
 * whose idempotency key was seen before is returned as it was (`created: false`); the same key with
 * a different request is a conflict, and then nothing is written.
 */
export async function acceptMessages(db: Db, messages: NewMessage[]): Promise<Array<Message & { created: boolean }>> {
  return withTransaction(db, async (tx) => {
    const accepted: Array<Message & { created: boolean }> = [];
    for (const m of messages) {
      const hash = requestHash(m);
      const inserted = await tx.query(
        `INSERT INTO messages (id, tenant_id, idempotency_key, request_hash, workflow_id, channel, campaign_id, campaign_version,
                               template_id, recipient, recipient_key, request, headers, status, enrollment_id, dispatched_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'accepted', $14::text, CASE WHEN $15::boolean THEN now() END)
         ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING *`,
        [newId('msg'), m.tenantId, m.idempotencyKey, hash, m.workflowId ?? sendWorkflowId(m.tenantId, m.idempotencyKey), m.channel, m.campaignId ?? null,
          m.campaignVersion ?? null, m.templateId ?? null, m.recipient, m.recipientKey, m.request, m.headers, m.enrollmentId ?? null, m.workflowId !== undefined],
      );
      if (inserted.rows[0]) {
        accepted.push({ ...fromRow(inserted.rows[0]), created: true });
        continue;
      }
      const existing = await tx.query('SELECT * FROM messages WHERE tenant_id = $1 AND idempotency_key = $2', [m.tenantId, m.idempotencyKey]);
      if (existing.rows[0].request_hash !== hash) {
        throw conflict(`Idempotency-Key ${m.idempotencyKey.split(':')[0]} was already used for a different request; use a new key for a new message`);
      }
      accepted.push({ ...fromRow(existing.rows[0]), created: false });
    }
    if (messages.some((m, i) => accepted[i]!.created && m.workflowId === undefined)) await tx.query(`NOTIFY mailflow_accepted`);
    return accepted;
  });
}

export async function getMessage(db: Queryable, tenantId: string, id: string): Promise<Message> {
  const { rows } = await db.query('SELECT * FROM messages WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  if (!rows[0]) throw notFound('message', id);
  return fromRow(rows[0]);
}

export const isFinal = (status: MessageStatus) => status === 'sent' || status === 'dropped' || status === 'failed';

/**
 * Moves a message to a new status with its event, in one transaction, and only from a status that
 * is not final: a replayed activity finds the work done and changes nothing.
 */
export interface Transition {
  status: MessageStatus;
  reason?: string;
  rendered?: Rendering;
  templateVersion?: number;
  provider?: string;
  providerMessageId?: string;
  event?: { type: EventType; data?: Record<string, unknown> };
}
type TransitionTarget = Pick<Message, 'id' | 'tenantId' | 'campaignId' | 'headers'>;

async function applyTransition(tx: Queryable, message: TransitionTarget, change: Transition): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE messages SET status = $3, status_reason = COALESCE($4, status_reason), rendered = COALESCE($5, rendered),
            template_version = COALESCE($6, template_version), provider = COALESCE($7, provider),
            provider_message_id = COALESCE($8, provider_message_id), updated_at = now()
     WHERE tenant_id = $1 AND id = $2 AND status NOT IN ('sent', 'dropped', 'failed')`,
    [message.tenantId, message.id, change.status, change.reason ?? null, change.rendered ?? null, change.templateVersion ?? null,
      change.provider ?? null, change.providerMessageId ?? null],
  );
  if (!rowCount) return false;
  if (change.event) await appendEvent(tx, { tenantId: message.tenantId, ...eventOf(message, change) });
  return true;
}

/**
 * Moves a message to a new status with its event, in one transaction, and only from a status that
 * is not final: a replayed activity finds the work done and changes nothing.
 */
export async function transitionMessage(db: Db, message: TransitionTarget, change: Transition): Promise<boolean> {
  return withTransaction(db, (tx) => applyTransition(tx, message, change));
}

const eventOf = (message: TransitionTarget, change: Transition) => ({
  type: change.event!.type,
  messageId: message.id,
  campaignId: message.campaignId,
  headers: message.headers,
  data: { ...(change.reason && { reason: change.reason }), ...(change.provider && { provider: change.provider }), ...(change.providerMessageId && { provider_message_id: change.providerMessageId }), ...change.event!.data },
});

/**
 * Many transitions of one tenant's messages in one transaction and a few statements: one UPDATE
 * for all (final messages are left alone, as one at a time), then the events of those it changed,
 * appended together under one take of the tenant's event lock.
 */
export async function transitionMessages(db: Db, changes: Array<{ message: TransitionTarget; change: Transition }>): Promise<void> {
  if (!changes.length) return;
  const tenantId = changes[0]!.message.tenantId;
  if (changes.some((c) => c.message.tenantId !== tenantId)) throw new Error('transitionMessages takes one tenant\'s messages at a time');
  await withTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `UPDATE messages m SET status = c.status, status_reason = COALESCE(c.reason, m.status_reason), rendered = COALESCE(c.rendered, m.rendered),
              template_version = COALESCE(c.template_version, m.template_version), provider = COALESCE(c.provider, m.provider),
              provider_message_id = COALESCE(c.provider_message_id, m.provider_message_id), updated_at = now()
       FROM unnest($2::text[], $3::text[], $4::text[], $5::jsonb[], $6::int[], $7::text[], $8::text[])
            AS c(id, status, reason, rendered, template_version, provider, provider_message_id)
       WHERE m.tenant_id = $1 AND m.id = c.id AND m.status NOT IN ('sent', 'dropped', 'failed')
       RETURNING m.id`,
      [
        tenantId,
        changes.map((c) => c.message.id),
        changes.map((c) => c.change.status),
        changes.map((c) => c.change.reason ?? null),
        changes.map((c) => (c.change.rendered ? JSON.stringify(c.change.rendered) : null)),
        changes.map((c) => c.change.templateVersion ?? null),
        changes.map((c) => c.change.provider ?? null),
        changes.map((c) => c.change.providerMessageId ?? null),
      ],
    );
    const changed = new Set(rows.map((r) => r.id));
    await appendEvents(tx, tenantId, changes.filter((c) => c.change.event && changed.has(c.message.id)).map((c) => eventOf(c.message, c.change)));
  });
}

export async function getMessages(db: Queryable, tenantId: string, ids: string[]): Promise<Message[]> {
  const { rows } = await db.query('SELECT * FROM messages WHERE tenant_id = $1 AND id = ANY($2::text[])', [tenantId, ids]);
  return rows.map(fromRow);
}

export interface Undispatched {
  id: string;
  tenantId: string;
  workflowId: string;
  channel: Channel;
  campaignId: string | null;
  recipientKey: string;
}

/**
 * Hands accepted messages whose workflow has not started to `start`, a batch at a time, marking the
 * ones it started. Rows stay locked while they are handed out, so several relays never start the
 * same message twice at once (and a double start is harmless anyway: the workflow id is the key).
 */
export async function dispatchAccepted(db: Db, limit: number, start: (batch: Undispatched[]) => Promise<string[]>): Promise<number> {
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query(
      `SELECT id, tenant_id, workflow_id, channel, campaign_id, recipient_key FROM messages
       WHERE dispatched_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    if (!rows.length) return 0;
    const started = await start(rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, workflowId: r.workflow_id, channel: r.channel, campaignId: r.campaign_id, recipientKey: r.recipient_key })));
    if (started.length) await tx.query('UPDATE messages SET dispatched_at = now() WHERE id = ANY($1::text[])', [started]);
    return rows.length;
  });
}
