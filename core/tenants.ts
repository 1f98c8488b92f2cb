import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Db, Queryable } from './db.js';
import { withTransaction } from './db.js';
import { notFound } from './errors.js';
import { newId } from './ids.js';
import { SCOPES } from './scopes.js';
import { issueApiKey, type IssuedApiKey } from './api-keys.js';

export const newTenantSchema = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(200),
  companyName: z.string().trim().min(1).max(200).optional(),
});
export type NewTenant = z.infer<typeof newTenantSchema>;

export interface Tenant {
  id: string;
  name: string;
  companyName: string | null;
  providerEventsSecret: string;
  createdAt: Date;
}

interface TenantRow {
  id: string;
  name: string;
  company_name: string | null;
  provider_events_secret: string;
  created_at: Date;
}

const fromRow = (row: TenantRow): Tenant => ({
  id: row.id,
  name: row.name,
  companyName: row.company_name,
  providerEventsSecret: row.provider_events_secret,
  createdAt: row.created_at,
});

/** Creates a tenant and its first key, which holds every scope; the key is returned this once. */
export async function createTenant(db: Db, input: NewTenant): Promise<{ tenant: Tenant; apiKey: IssuedApiKey }> {
  return withTransaction(db, async (client) => {
    const { rows } = await client.query<TenantRow>(
      `INSERT INTO tenants (id, name, company_name, provider_events_secret, unsubscribe_secret)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [newId('ten'), input.name, input.companyName ?? null, randomBytes(18).toString('base64url'), randomBytes(32).toString('base64url')],
    );
    const tenant = fromRow(rows[0]!);
    const apiKey = await issueApiKey(client, tenant.id, { name: 'default', scopes: [...SCOPES] });
    return { tenant, apiKey };
  });
}

export async function getTenant(db: Queryable, id: string): Promise<Tenant> {
  const { rows } = await db.query<TenantRow>('SELECT * FROM tenants WHERE id = $1', [id]);
  if (!rows[0]) throw notFound('tenant', id);
  return fromRow(rows[0]);
}

export async function listTenants(db: Queryable, page: { limit: number; before?: string }): Promise<Tenant[]> {
  const { rows } = await db.query<TenantRow>(
    `SELECT * FROM tenants WHERE ($1::text IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
    [page.before ?? null, page.limit],
  );
  return rows.map(fromRow);
}
