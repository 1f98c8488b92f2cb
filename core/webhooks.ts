import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from './db.js';
import { notFound } from './errors.js';
import { EVENT_TYPES } from './events.js';
import { newId } from './ids.js';

export const newWebhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2000),
  events: z.array(z.enum(EVENT_TYPES)).min(1, 'leave it out to receive every event').optional(),
});
export type NewWebhook = z.infer<typeof newWebhookSchema>;

export interface WebhookEndpoint {
  id: string;
  tenantId: string;
  url: string;
  events: string[] | null;
  createdAt: Date;
}

interface Row {
  id: string;
  tenant_id: string;
  url: string;
  events: string[] | null;
  secret: string;
  created_at: Date;
}
const fromRow = (r: Row): WebhookEndpoint => ({ id: r.id, tenantId: r.tenant_id, url: r.url, events: r.events, createdAt: r.created_at });

/** Creates an endpoint with a Standard Webhooks secret (`whsec_` + base64 of 24 random bytes), returned this once. */
export async function createWebhook(db: Queryable, tenantId: string, input: NewWebhook): Promise<WebhookEndpoint & { secret: string }> {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const { rows } = await db.query<Row>(
    'INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret) VALUES ($1, $2, $3, $4, $5) RETURNING *',
    [newId('whk'), tenantId, input.url, input.events ?? null, secret],
  );
  return { ...fromRow(rows[0]!), secret };
}

export async function listWebhooks(db: Queryable, tenantId: string, page: { limit: number; before?: string }): Promise<WebhookEndpoint[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
    [tenantId, page.before ?? null, page.limit],
  );
  return rows.map(fromRow);
}

export async function getWebhook(db: Queryable, tenantId: string, id: string): Promise<WebhookEndpoint> {
  const { rows } = await db.query<Row>('SELECT * FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL', [tenantId, id]);
  if (!rows[0]) throw notFound('webhook', id);
  return fromRow(rows[0]);
}

/** Deletes an endpoint: no new deliveries, and its pending ones are dropped. */
export async function deleteWebhook(db: Queryable, tenantId: string, id: string): Promise<WebhookEndpoint> {
  const { rows } = await db.query<Row>('UPDATE webhook_endpoints SET deleted_at = now() WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING *', [tenantId, id]);
  if (!rows[0]) throw notFound('webhook', id);
  await db.query("UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted' WHERE endpoint_id = $1 AND status = 'pending'", [id]);
  return fromRow(rows[0]);
}

/**
 * Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the
 * secret's decoded bytes.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: Array<{ attempt: number; statusCode: number | null; error: string | null; durationMs: number; at: string }>;
  nextAttemptAt: string | null;
  createdAt: string;
}

export async function listDeliveries(db: Queryable, tenantId: string, endpointId: string, page: { limit: number; before?: string }): Promise<DeliveryView[]> {
  await getWebhook(db, tenantId, endpointId);
  const { rows } = await db.query(
    `SELECT d.id, d.event_id, d.event_type, d.status, d.next_attempt_at, d.created_at,
            COALESCE(json_agg(json_build_object('attempt', a.attempt, 'statusCode', a.status_code, 'error', a.error, 'durationMs', a.duration_ms, 'at', a.attempted_at) ORDER BY a.attempt)
                     FILTER (WHERE a.attempt IS NOT NULL), '[]') AS attempts
     FROM webhook_deliveries d LEFT JOIN webhook_attempts a ON a.delivery_id = d.id
     WHERE d.tenant_id = $1 AND d.endpoint_id = $2 AND ($3::text IS NULL OR d.id < $3)
     GROUP BY d.id ORDER BY d.id DESC LIMIT $4`,
    [tenantId, endpointId, page.before ?? null, page.limit],
  );
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? (r.next_attempt_at as Date).toISOString() : null,
    createdAt: (r.created_at as Date).toISOString(),
  }));
}

/** Sends a delivery again (whatever its state), as soon as the dispatcher gets to it. */
export async function replayDelivery(db: Queryable, tenantId: string, id: string): Promise<void> {
  const { rowCount } = await db.query(
    `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), lease_until = NULL
     WHERE tenant_id = $1 AND id = $2 AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE deleted_at IS NULL)`,
    [tenantId, id],
  );
  if (!rowCount) throw notFound('delivery', id);
  await db.query('NOTIFY mailflow_webhooks');
}
