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
  if (!messages.length) return [];
  const keyOf = (tenantId: string, idempotencyKey: string) => `${tenantId}\u0000${idempotencyKey}`;
  return withTransaction(db, async (tx) => {
    // One INSERT for the whole batch; a key seen before (or twice in the batch) inserts nothing.
    const inserted = await tx.query(
      `INSERT INTO messages (id, tenant_id, idempotency_key, request_hash, workflow_id, channel, campaign_id, campaign_version,
                             template_id, recipient, recipient_key, request, headers, status, enrollment_id, dispatched_at)
       SELECT id, tenant_id, idempotency_key, request_hash, workflow_id, channel, campaign_id, campaign_version, template_id,
              recipient, recipient_key, request, headers, 'accepted', enrollment_id, CASE WHEN dispatched THEN now() END
       FROM jsonb_to_recordset($1::jsonb) AS m(id text, tenant_id text, idempotency_key text, request_hash text, workflow_id text, channel text,
            campaign_id text, campaign_version int, template_id text, recipient text, recipient_key text, request jsonb, headers jsonb,
            enrollment_id text, dispatched boolean)
       ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING *`,
      [
        JSON.stringify(
          messages.map((m) => ({
            id: newId('msg'), tenant_id: m.tenantId, idempotency_key: m.idempotencyKey, request_hash: requestHash(m),
            workflow_id: m.workflowId ?? sendWorkflowId(m.tenantId, m.idempotencyKey), channel: m.channel, campaign_id: m.campaignId ?? null,
            campaign_version: m.campaignVersion ?? null, template_id: m.templateId ?? null, recipient: m.recipient, recipient_key: m.recipientKey,
            request: m.request, headers: m.headers, enrollment_id: m.enrollmentId ?? null, dispatched: m.workflowId !== undefined,
          })),
        ),
      ],
    );
    const created = new Map(inserted.rows.map((r) => [keyOf(r.tenant_id, r.idempotency_key), fromRow(r)]));
    const seen = messages.filter((m) => !created.has(keyOf(m.tenantId, m.idempotencyKey)));
    const existing = new Map<string, { message: Message; hash: string }>();
    if (seen.length) {
      const { rows } = await tx.query(
        `SELECT m.* FROM messages m JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, idempotency_key) USING (tenant_id, idempotency_key)`,
        [seen.map((m) => m.tenantId), seen.map((m) => m.idempotencyKey)],
      );
      for (const r of rows) existing.set(keyOf(r.tenant_id, r.idempotency_key), { message: fromRow(r), hash: r.request_hash });
    }
    const accepted = messages.map((m) => {
      const key = keyOf(m.tenantId, m.idempotencyKey);
      const fresh = created.get(key);
      if (fresh) {
        created.delete(key); // a second use of the key in this batch is the first one seen again
        existing.set(key, { message: fresh, hash: requestHash(m) });
        return { ...fresh, created: true };
      }
      const before = existing.get(key)!;
      if (before.hash !== requestHash(m)) {
        throw conflict(`Idempotency-Key ${m.idempotencyKey.split(':')[0]} was already used for a different request; use a new key for a new message`);
      }
      return { ...before.message, created: false };
    });
    if (accepted.some((m, i) => m.created && messages[i]!.workflowId === undefined)) await tx.query(`NOTIFY mailflow_accepted`);
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
 * ones it started. A batch is claimed with a one-minute lease in a statement of its own, so several
 * relays never start the same message twice at once, and no row stays locked while the workflows
 * start (their first ledger write would wait for it). A relay that dies mid-batch leaves the lease
 * to run out; a second start is harmless anyway, as the workflow id is the key.
 */
export async function dispatchAccepted(db: Db, limit: number, start: (batch: Undispatched[]) => Promise<string[]>): Promise<number> {
  const { rows } = await db.query(
    `UPDATE messages m SET dispatch_lease_until = now() + interval '1 minute'
     FROM (SELECT id FROM messages WHERE dispatched_at IS NULL AND (dispatch_lease_until IS NULL OR dispatch_lease_until < now())
           ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED) claimed
     WHERE m.id = claimed.id
     RETURNING m.id, m.tenant_id, m.workflow_id, m.channel, m.campaign_id, m.recipient_key`,
    [limit],
  );
  if (!rows.length) return 0;
  const started = new Set(await start(rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, workflowId: r.workflow_id, channel: r.channel, campaignId: r.campaign_id, recipientKey: r.recipient_key }))));
  // Started: done. Not started (Temporal refused): the lease is dropped, so the next pass tries again.
  await db.query(
    `UPDATE messages SET dispatched_at = CASE WHEN id = ANY($1::text[]) THEN now() END, dispatch_lease_until = NULL WHERE id = ANY($2::text[])`,
    [[...started], rows.map((r) => r.id)],
  );
  return rows.length;
}
