import { z } from 'zod';
import type { Queryable } from './db.js';
import { notFound } from './errors.js';
import { newId } from './ids.js';
import { addressFieldsSchema, formatAddress, normaliseAddress, normaliseEmail } from './postal-address.js';
import { channelSchema, type Channel } from './templates.js';

export const newSuppressionSchema = z
  .strictObject({
    channel: channelSchema,
    value: z.union([z.string().trim().min(1, 'is required').max(500), addressFieldsSchema.strict()]),
    scope: z.enum(['account', 'campaign']).default('account'),
    campaign_id: z.string().min(1).max(100).optional(),
    reason: z.string().trim().min(1).max(500).default('manual'),
  })
  .superRefine((s, ctx) => {
    if (s.scope === 'campaign' && !s.campaign_id) ctx.addIssue({ code: 'custom', path: ['campaign_id'], message: 'is required when scope is campaign' });
    if (s.scope === 'account' && s.campaign_id) ctx.addIssue({ code: 'custom', path: ['campaign_id'], message: 'only goes with scope campaign' });
    if (s.channel === 'email' && (typeof s.value !== 'string' || !z.email().safeParse(s.value.trim()).success)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be an email address for channel email' });
    }
  });
export type NewSuppression = z.infer<typeof newSuppressionSchema>;

export interface Suppression {
  id: string;
  channel: Channel;
  scope: 'account' | 'campaign';
  campaignId: string | null;
  value: string;
  reason: string;
  createdAt: Date;
}

interface Row {
  id: string;
  channel: Channel;
  scope: 'account' | 'campaign';
  campaign_id: string;
  value: string;
  reason: string;
  created_at: Date;
}
const fromRow = (r: Row): Suppression => ({
  id: r.id,
  channel: r.channel,
  scope: r.scope,
  campaignId: r.campaign_id || null,
  value: r.value,
  reason: r.reason,
  createdAt: r.created_at,
});

/** What a recipient is matched on: a lower-cased email, or a normalised postal address. */
export function recipientKey(channel: Channel, value: string | z.infer<typeof addressFieldsSchema>): string {
  if (channel === 'email') return normaliseEmail(typeof value === 'string' ? value : formatAddress(value));
  return normaliseAddress(value);
}

/** Adds a suppression; adding one that exists returns it unchanged. */
export async function addSuppression(db: Queryable, tenantId: string, input: NewSuppression): Promise<Suppression> {
  const display = typeof input.value === 'string' ? input.value.trim() : formatAddress(input.value);
  const { rows } = await db.query<Row>(
    `WITH inserted AS (
       INSERT INTO suppressions (id, tenant_id, channel, scope, campaign_id, value_key, value, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant_id, channel, value_key, scope, campaign_id) DO NOTHING RETURNING *)
     SELECT * FROM inserted
     UNION ALL
     SELECT * FROM suppressions WHERE tenant_id = $2 AND channel = $3 AND value_key = $6 AND scope = $4 AND campaign_id = $5
     LIMIT 1`,
    [newId('sup'), tenantId, input.channel, input.scope, input.campaign_id ?? '', recipientKey(input.channel, input.value), display, input.reason],
  );
  return fromRow(rows[0]!);
}

export async function removeSuppression(db: Queryable, tenantId: string, id: string): Promise<Suppression> {
  const { rows } = await db.query<Row>('DELETE FROM suppressions WHERE tenant_id = $1 AND id = $2 RETURNING *', [tenantId, id]);
  if (!rows[0]) throw notFound('suppression', id);
  return fromRow(rows[0]);
}

export async function listSuppressions(
  db: Queryable,
  tenantId: string,
  page: { limit: number; before?: string; channel?: Channel; campaignId?: string },
): Promise<Suppression[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM suppressions WHERE tenant_id = $1 AND ($2::text IS NULL OR id < $2)
       AND ($3::text IS NULL OR channel = $3) AND ($4::text IS NULL OR campaign_id = $4)
     ORDER BY id DESC LIMIT $5`,
    [tenantId, page.before ?? null, page.channel ?? null, page.campaignId ?? null, page.limit],
  );
  return rows.map(fromRow);
}

export interface SuppressionHit {
  scope: 'account' | 'campaign';
  reason: string;
}

/**
 * Which of many recipient keys are suppressed for this tenant, at account level or for this
 * campaign, in one query. Account-level hits win over campaign-level ones.
 */
export async function checkSuppressed(
  db: Queryable,
  tenantId: string,
  channel: Channel,
  keys: string[],
  campaignId?: string | null,
): Promise<Map<string, SuppressionHit>> {
  const hits = new Map<string, SuppressionHit>();
  if (keys.length === 0) return hits;
  const { rows } = await db.query<{ value_key: string; scope: 'account' | 'campaign'; reason: string }>(
    `SELECT value_key, scope, reason FROM suppressions
     WHERE tenant_id = $1 AND channel = $2 AND value_key = ANY($3::text[])
       AND (scope = 'account' OR ($4::text IS NOT NULL AND campaign_id = $4))
     ORDER BY (scope = 'account') ASC`,
    [tenantId, channel, keys, campaignId ?? null],
  );
  for (const row of rows) hits.set(row.value_key, { scope: row.scope, reason: row.reason });
  return hits;
}
