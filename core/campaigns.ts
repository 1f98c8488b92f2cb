import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { Db, Queryable } from './db.js';
import { withTransaction } from './db.js';
import { badRequest, notFound } from './errors.js';
import { checkFlowSteps } from './flow-definition.js';
import { newId } from './ids.js';
import { channelSchema, getTemplate, type Channel } from './templates.js';

const providerOptionsSchema = z.strictObject({
  postalytics: z.strictObject({ endPoint: z.string().min(1).max(200) }).optional(),
});

/** A campaign as saved: flows add `steps` and file campaigns `columns` (validated by their own modules). */
export const campaignDefinitionSchema = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(200),
  type: z.enum(['triggered', 'flow', 'file']),
  channel: channelSchema.optional(),
  templateId: z.string().min(1).max(100).optional(),
  provider: providerOptionsSchema.optional(),
  steps: z.array(z.record(z.string(), z.unknown())).optional(),
  columns: z.record(z.string(), z.string()).optional(),
});
export type CampaignDefinition = z.infer<typeof campaignDefinitionSchema>;

export interface Campaign extends CampaignDefinition {
  id: string;
  tenantId: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Cross-field rules: a triggered or file campaign sends one template on one channel, the tenant's own; a flow's steps check out. */
async function checkDefinition(db: Queryable, tenantId: string, definition: CampaignDefinition): Promise<void> {
  if (definition.type === 'flow') {
    await checkFlowSteps(db, tenantId, definition.steps);
  } else if (definition.steps) {
    throw badRequest(`body.steps: only a flow campaign has steps; this one is ${definition.type}`, [{ field: 'body.steps', message: 'only for type flow' }]);
  }
  if (definition.type !== 'flow') {
    if (!definition.channel) throw badRequest(`body.channel: is required for a ${definition.type} campaign`, [{ field: 'body.channel', message: 'is required' }]);
    if (!definition.templateId) throw badRequest(`body.templateId: is required for a ${definition.type} campaign`, [{ field: 'body.templateId', message: 'is required' }]);
  }
  if (definition.templateId) {
    const template = await getTemplate(db, tenantId, definition.templateId).catch(() => undefined);
    if (!template) throw badRequest(`body.templateId: template ${definition.templateId} does not exist`, [{ field: 'body.templateId', message: 'does not exist' }]);
    if (definition.channel && template.channel !== definition.channel) {
      throw badRequest(`body.templateId: template ${definition.templateId} is a ${template.channel} template, not ${definition.channel}`, [{ field: 'body.templateId', message: `is a ${template.channel} template` }]);
    }
  }
}

interface Row {
  id: string;
  tenant_id: string;
  latest_version: number;
  definition: CampaignDefinition;
  created_at: Date;
  updated_at: Date;
}
const fromRow = (r: Row): Campaign => ({ ...r.definition, id: r.id, tenantId: r.tenant_id, version: r.latest_version, createdAt: r.created_at, updatedAt: r.updated_at });
const SELECT = `SELECT c.id, c.tenant_id, v.version AS latest_version, v.definition, c.created_at, c.updated_at
  FROM campaigns c JOIN campaign_versions v ON v.campaign_id = c.id`;

export async function createCampaign(db: Db, tenantId: string, definition: CampaignDefinition): Promise<Campaign> {
  await checkDefinition(db, tenantId, definition);
  const id = newId('cmp');
  await withTransaction(db, async (tx) => {
    await tx.query('INSERT INTO campaigns (id, tenant_id, name, type, channel, latest_version) VALUES ($1, $2, $3, $4, $5, 1)', [id, tenantId, definition.name, definition.type, definition.channel ?? null]);
    await tx.query('INSERT INTO campaign_versions (campaign_id, version, definition) VALUES ($1, 1, $2)', [id, definition]);
  });
  return getCampaign(db, tenantId, id);
}

/** Saves a changed definition as the next version; an unchanged one keeps its version. The type cannot change. */
export async function updateCampaign(db: Db, tenantId: string, id: string, definition: CampaignDefinition): Promise<Campaign> {
  const current = await getCampaign(db, tenantId, id);
  if (current.type !== definition.type) throw badRequest(`body.type: a ${current.type} campaign cannot become ${definition.type}; create a new campaign`, [{ field: 'body.type', message: 'cannot change' }]);
  const { id: _id, tenantId: _t, version: _v, createdAt: _c, updatedAt: _u, ...saved } = current;
  if (isDeepStrictEqual(JSON.parse(JSON.stringify(saved)), JSON.parse(JSON.stringify(definition)))) return current;
  await checkDefinition(db, tenantId, definition);
  await withTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ latest_version: number }>(
      `UPDATE campaigns SET latest_version = latest_version + 1, name = $3, channel = $4, updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING latest_version`,
      [tenantId, id, definition.name, definition.channel ?? null],
    );
    await tx.query('INSERT INTO campaign_versions (campaign_id, version, definition) VALUES ($1, $2, $3)', [id, rows[0]!.latest_version, definition]);
  });
  return getCampaign(db, tenantId, id);
}

export async function getCampaign(db: Queryable, tenantId: string, id: string, version?: number): Promise<Campaign> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE c.tenant_id = $1 AND c.id = $2 AND v.version = COALESCE($3, c.latest_version)`, [tenantId, id, version ?? null]);
  if (!rows[0]) throw notFound('campaign', id);
  return fromRow(rows[0]);
}

export async function listCampaigns(db: Queryable, tenantId: string, page: { limit: number; before?: string }): Promise<Campaign[]> {
  const { rows } = await db.query<Row>(
    `${SELECT} WHERE c.tenant_id = $1 AND v.version = c.latest_version AND ($2::text IS NULL OR c.id < $2) ORDER BY c.id DESC LIMIT $3`,
    [tenantId, page.before ?? null, page.limit],
  );
  return rows.map(fromRow);
}

/** The campaign a send names, checked to be this tenant's and on the channel being sent. */
export async function campaignForSend(db: Queryable, tenantId: string, id: string, channel: Channel): Promise<Campaign> {
  const campaign = await getCampaign(db, tenantId, id).catch(() => undefined);
  if (!campaign) throw notFound('campaign', id);
  if (campaign.channel && campaign.channel !== channel) {
    throw badRequest(`campaign_id: campaign ${id} sends ${campaign.channel}, not ${channel}; use ${campaign.channel === 'mail' ? 'POST /api/v1/send' : 'POST /api/v1/email'}`, [
      { field: 'campaign_id', message: `is a ${campaign.channel} campaign` },
    ]);
  }
  return campaign;
}
