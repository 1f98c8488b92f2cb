import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../core/errors.js';
import type { Principal } from '../../core/scopes.js';
import { getTenantSettings, patchTenantSettings, redactSettings, tenantSettingsSchema } from '../../core/tenant-settings.js';
import type { ApiDeps } from '../deps.js';
import { syncSftpSchedule } from '../sftp-schedule.js';
import { authErrors, idParamsSchema } from '../schemas/common.js';

// A patch names the sections it changes; null clears one.
const settingsPatchSchema = z.strictObject(
  Object.fromEntries(Object.entries(tenantSettingsSchema.shape).map(([key, schema]) => [key, schema.unwrap().nullable().optional()])),
);

export const settingsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const access = { scopes: ['settings' as const], admin: true };
  // A tenant key reaches its own tenant only; another tenant's id is not found, as everywhere.
  const ownTenant = (principal: Principal | null, id: string) => {
    if (principal?.kind === 'tenant' && principal.tenantId !== id) throw notFound('tenant', id);
  };

  app.get('/tenants/:id/settings', {
    config: { access },
    schema: { summary: "A tenant's settings, secrets masked", tags: ['tenants'], params: idParamsSchema, response: { 200: z.record(z.string(), z.unknown()), ...authErrors } },
  }, async (request) => {
    ownTenant(request.principal, request.params.id);
    return redactSettings(await getTenantSettings(deps.db, request.params.id));
  });

  app.patch('/tenants/:id/settings', {
    config: { access },
    schema: {
      summary: 'Change sender defaults, IP pool, providers and their credentials, rate limits, postal address, SFTP inbox',
      tags: ['tenants'],
      params: idParamsSchema,
      body: settingsPatchSchema,
      response: { 200: z.record(z.string(), z.unknown()), ...authErrors },
    },
  }, async (request) => {
    ownTenant(request.principal, request.params.id);
    const settings = await patchTenantSettings(deps.db, request.params.id, request.body);
    if ('sftp' in request.body) await syncSftpSchedule(deps.temporal, deps.config, request.params.id, !!settings.sftp);
    return redactSettings(settings);
  });
};
