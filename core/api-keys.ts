import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from './db.js';
import { notFound } from './errors.js';
import { newId } from './ids.js';
import { scopeSchema, type Principal, type Scope } from './scopes.js';

export const newApiKeySchema = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(200),
  scopes: z.array(scopeSchema).min(1, 'needs at least one scope').transform((s) => [...new Set(s)]),
});
export type NewApiKey = z.infer<typeof newApiKeySchema>;

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  scopes: Scope[];
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}
export type IssuedApiKey = ApiKey & { key: string };

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  scopes: Scope[];
  key_prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const fromRow = (row: ApiKeyRow): ApiKey => ({
  id: row.id,
  tenantId: row.tenant_id,
  name: row.name,
  scopes: row.scopes,
  prefix: row.key_prefix,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

/** Keys carry 192 random bits, so one fast hash is as safe as a slow one and lets every request look a key up by index. */
export const hashKey = (key: string) => createHash('sha256').update(key).digest();

export async function issueApiKey(db: Queryable, tenantId: string, input: NewApiKey): Promise<IssuedApiKey> {
  const key = `mf_${randomBytes(24).toString('base64url')}`;
  const { rows } = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, tenant_id, name, scopes, key_hash, key_prefix)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [newId('key'), tenantId, input.name, input.scopes, hashKey(key), key.slice(0, 7)],
  );
  return { ...fromRow(rows[0]!), key };
}

export async function listApiKeys(db: Queryable, tenantId: string, page: { limit: number; before?: string }): Promise<ApiKey[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT * FROM api_keys WHERE tenant_id = $1 AND ($2::text IS NULL OR id < $2)
     ORDER BY id DESC LIMIT $3`,
    [tenantId, page.before ?? null, page.limit],
  );
  return rows.map(fromRow);
}

/** Revokes a key of this tenant; the next request made with it is refused. */
export async function revokeApiKey(db: Queryable, tenantId: string, id: string): Promise<ApiKey> {
  const { rows } = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
     WHERE tenant_id = $1 AND id = $2 RETURNING *`,
    [tenantId, id],
  );
  if (!rows[0]) throw notFound('API key', id);
  return fromRow(rows[0]);
}

/** The principal a presented tenant key stands for, or undefined when it is unknown or revoked. */
export async function authenticateApiKey(db: Queryable, key: string): Promise<Principal | undefined> {
  const { rows } = await db.query<{ id: string; tenant_id: string; scopes: Scope[] }>(
    `SELECT id, tenant_id, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hashKey(key)],
  );
  const row = rows[0];
  return row ? { kind: 'tenant', tenantId: row.tenant_id, keyId: row.id, scopes: row.scopes } : undefined;
}
