import { z } from 'zod';
import type { Db, Queryable } from './db.js';
import { withTransaction } from './db.js';
import { badRequest, notFound } from './errors.js';
import { newId } from './ids.js';
import { checkTemplate } from './template-syntax.js';

export const channelSchema = z.enum(['email', 'mail']);
export type Channel = z.infer<typeof channelSchema>;

const templateFields = {
  name: z.string().trim().min(1, 'is required').max(200),
  subject: z.string().max(998).optional(),
  html: z.string().min(1, 'is required').max(512_000),
  text: z.string().max(512_000).optional(),
};
export const newTemplateSchema = z.strictObject({ ...templateFields, channel: channelSchema });
export const templateEditSchema = z.strictObject({ ...templateFields, name: templateFields.name.optional() });
export type NewTemplate = z.infer<typeof newTemplateSchema>;

export interface TemplateVersion {
  templateId: string;
  tenantId: string;
  name: string;
  channel: Channel;
  version: number;
  subject: string | null;
  html: string;
  text: string | null;
  variables: string[];
  createdAt: Date;
}

function checkParts(channel: Channel, input: { subject?: string; html: string; text?: string }) {
  if (channel === 'email' && !input.subject) throw badRequest('body.subject: is required for an email template', [{ field: 'body.subject', message: 'is required for an email template' }]);
  if (channel === 'mail' && input.subject !== undefined) throw badRequest('body.subject: a mail piece has no subject; remove it', [{ field: 'body.subject', message: 'a mail piece has no subject' }]);
  return checkTemplate({ subject: input.subject, html: input.html, text: input.text });
}

const SELECT = `SELECT t.id AS template_id, t.tenant_id, t.name, t.channel, v.version, v.subject, v.html, v.text, v.variables, v.created_at
  FROM templates t JOIN template_versions v ON v.template_id = t.id`;

interface Row {
  template_id: string;
  tenant_id: string;
  name: string;
  channel: Channel;
  version: number;
  subject: string | null;
  html: string;
  text: string | null;
  variables: string[];
  created_at: Date;
}
const fromRow = (r: Row): TemplateVersion => ({
  templateId: r.template_id,
  tenantId: r.tenant_id,
  name: r.name,
  channel: r.channel,
  version: r.version,
  subject: r.subject,
  html: r.html,
  text: r.text,
  variables: r.variables,
  createdAt: r.created_at,
});

export async function createTemplate(db: Db, tenantId: string, input: NewTemplate): Promise<TemplateVersion> {
  const { variables } = checkParts(input.channel, input);
  const id = newId('tpl');
  await withTransaction(db, async (client) => {
    await client.query('INSERT INTO templates (id, tenant_id, name, channel, latest_version) VALUES ($1, $2, $3, $4, 1)', [id, tenantId, input.name, input.channel]);
    await client.query(
      'INSERT INTO template_versions (template_id, version, subject, html, text, variables) VALUES ($1, 1, $2, $3, $4, $5)',
      [id, input.subject ?? null, input.html, input.text ?? null, variables],
    );
  });
  return getTemplate(db, tenantId, id);
}

/** Saves an edit as the next version; messages already rendered keep the version they used. */
export async function editTemplate(db: Db, tenantId: string, id: string, input: z.infer<typeof templateEditSchema>): Promise<TemplateVersion> {
  const current = await getTemplate(db, tenantId, id);
  const { variables } = checkParts(current.channel, input);
  await withTransaction(db, async (client) => {
    const { rows } = await client.query<{ latest_version: number }>(
      `UPDATE templates SET latest_version = latest_version + 1, name = COALESCE($3, name), updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING latest_version`,
      [tenantId, id, input.name ?? null],
    );
    await client.query(
      'INSERT INTO template_versions (template_id, version, subject, html, text, variables) VALUES ($1, $2, $3, $4, $5, $6)',
      [id, rows[0]!.latest_version, input.subject ?? null, input.html, input.text ?? null, variables],
    );
  });
  return getTemplate(db, tenantId, id);
}

/** The latest version, or the given one. Another tenant's template is not found. */
export async function getTemplate(db: Queryable, tenantId: string, id: string, version?: number): Promise<TemplateVersion> {
  const { rows } = await db.query<Row>(
    `${SELECT} WHERE t.tenant_id = $1 AND t.id = $2 AND v.version = COALESCE($3, t.latest_version)`,
    [tenantId, id, version ?? null],
  );
  if (!rows[0]) throw notFound('template', version ? `${id} version ${version}` : id);
  return fromRow(rows[0]);
}

export async function listTemplates(db: Queryable, tenantId: string, page: { limit: number; before?: string }): Promise<TemplateVersion[]> {
  const { rows } = await db.query<Row>(
    `${SELECT} WHERE t.tenant_id = $1 AND v.version = t.latest_version AND ($2::text IS NULL OR t.id < $2) ORDER BY t.id DESC LIMIT $3`,
    [tenantId, page.before ?? null, page.limit],
  );
  return rows.map(fromRow);
}
