import { z } from 'zod';
import type { Queryable } from './db.js';
import { badRequest, notFound } from './errors.js';

const secret = z.string().min(1).max(4096);
const url = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** Everything a tenant configures; credentials are write-only through the API. */
export const tenantSettingsSchema = z.strictObject({
  sender: z.strictObject({ email: z.email(), name: z.string().max(200).optional() }).optional(),
  ippool: z.string().min(1).max(200).optional(),
  postalAddress: z.string().min(1).max(500).optional(),
  providers: z.strictObject({
    email: z.enum(['sandbox', 'sendpost', 'smtp']).optional(),
    mail: z.enum(['sandbox', 'postalytics']).optional(),
  }).optional(),
  sendpost: z.strictObject({ apiKey: secret, baseUrl: url.optional() }).optional(),
  postalytics: z.strictObject({ apiKey: secret, baseUrl: url.optional() }).optional(),
  smtp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    secure: z.boolean().optional(),
    username: z.string().optional(),
    password: secret.optional(),
  }).optional(),
  rateLimits: z.strictObject({
    apiPerSecond: z.number().positive().max(100_000).optional(),
    apiBurst: z.number().int().min(1).max(100_000).optional(),
    providerPerSecond: z.number().positive().max(100_000).optional(),
  }).optional(),
  sftp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    username: z.string().min(1),
    password: secret.optional(),
    privateKey: secret.optional(),
    inboxPath: z.string().min(1).startsWith('/', 'must be an absolute path on the SFTP server'),
  }).optional(),
});
export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

export const DEFAULT_RATE = { apiPerSecond: 15, apiBurst: 30, providerPerSecond: 15 };

export async function getTenantSettings(db: Queryable, tenantId: string): Promise<TenantSettings> {
  const { rows } = await db.query<{ settings: TenantSettings }>('SELECT settings FROM tenants WHERE id = $1', [tenantId]);
  if (!rows[0]) throw notFound('tenant', tenantId);
  return rows[0].settings;
}

/** Merges a patch into the settings one level deep: `{ smtp: {...} }` replaces smtp, `{ ippool: null }` clears it. */
export async function patchTenantSettings(db: Queryable, tenantId: string, patch: Record<string, unknown>): Promise<TenantSettings> {
  const current = await getTenantSettings(db, tenantId);
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  const parsed = tenantSettingsSchema.safeParse(merged);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ field: ['body', ...i.path].join('.'), message: i.message }));
    throw badRequest(`${details[0]!.field}: ${details[0]!.message}`, details);
  }
  const settings = parsed.data;
  await db.query('UPDATE tenants SET settings = $2 WHERE id = $1', [tenantId, settings]);
  return settings;
}

const mask = (value: string | undefined) => (value ? `••••${value.slice(-4)}` : undefined);

/** Settings as the API shows them: every secret masked to its last four characters. */
export function redactSettings(settings: TenantSettings): Record<string, unknown> {
  return {
    ...settings,
    ...(settings.sendpost && { sendpost: { ...settings.sendpost, apiKey: mask(settings.sendpost.apiKey) } }),
    ...(settings.postalytics && { postalytics: { ...settings.postalytics, apiKey: mask(settings.postalytics.apiKey) } }),
    ...(settings.smtp && { smtp: { ...settings.smtp, password: mask(settings.smtp.password) } }),
    ...(settings.sftp && { sftp: { ...settings.sftp, password: mask(settings.sftp.password), privateKey: settings.sftp.privateKey ? '••••' : undefined } }),
  };
}
