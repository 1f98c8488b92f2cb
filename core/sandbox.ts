import type { Queryable } from './db.js';
import { groupWrites } from './group-writes.js';
import { newId } from './ids.js';

export interface SandboxRecord {
  messageId: string;
  channel: 'email' | 'mail';
  recipient: string;
  subject?: string;
  html: string;
  text?: string;
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

/** Keeps what the sandbox provider "sent", once per message however often it is retried. */
export async function storeSandboxMessages(db: Queryable, records: SandboxRecord[]): Promise<void> {
  if (!records.length) return;
  await db.query(
    `INSERT INTO sandbox_messages (id, tenant_id, message_id, channel, recipient, subject, html, text, headers, payload)
     SELECT r.id, m.tenant_id, m.id, r.channel, r.recipient, r.subject, r.html, r.text, r.headers, r.payload
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, message_id text, channel text, recipient text, subject text, html text, text text, headers jsonb, payload jsonb)
     JOIN messages m ON m.id = r.message_id
     ON CONFLICT (message_id) DO NOTHING`,
    [JSON.stringify(records.map((r) => ({ id: newId('sbx'), message_id: r.messageId, channel: r.channel, recipient: r.recipient, subject: r.subject ?? null, html: r.html, text: r.text ?? null, headers: r.headers, payload: r.payload })))],
  );
}

/**
 * The sandbox's store as the worker uses it: concurrent sends are written together, a statement
 * per group instead of one per message.
 */
export function sandboxWriter(db: Queryable): (record: SandboxRecord) => Promise<void> {
  return groupWrites((records: SandboxRecord[]) => storeSandboxMessages(db, records));
}

export async function listSandboxMessages(db: Queryable, tenantId: string, page: { limit: number; before?: string; messageId?: string }) {
  const { rows } = await db.query(
    `SELECT id, message_id, channel, recipient, subject, html, text, headers, payload, created_at FROM sandbox_messages
     WHERE tenant_id = $1 AND ($2::text IS NULL OR id < $2) AND ($3::text IS NULL OR message_id = $3)
     ORDER BY id DESC LIMIT $4`,
    [tenantId, page.before ?? null, page.messageId ?? null, page.limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    messageId: r.message_id as string,
    channel: r.channel as string,
    recipient: r.recipient as string,
    subject: r.subject as string | null,
    html: r.html as string,
    text: r.text as string | null,
    headers: r.headers as Record<string, string>,
    payload: r.payload as Record<string, unknown>,
    createdAt: (r.created_at as Date).toISOString(),
  }));
}
