import type { Queryable } from './db.js';
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
export async function storeSandboxMessage(db: Queryable, record: SandboxRecord): Promise<void> {
  await db.query(
    `INSERT INTO sandbox_messages (id, tenant_id, message_id, channel, recipient, subject, html, text, headers, payload)
     SELECT $1, tenant_id, id, $3, $4, $5, $6, $7, $8, $9 FROM messages WHERE id = $2
     ON CONFLICT (message_id) DO NOTHING`,
    [newId('sbx'), record.messageId, record.channel, record.recipient, record.subject ?? null, record.html, record.text ?? null, record.headers, record.payload],
  );
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
