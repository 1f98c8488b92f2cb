import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fileRowErrors, getFile, listFiles, type FileRecord } from '../../core/files.js';
import { getTenantSettings } from '../../core/tenant-settings.js';
import { badRequest } from '../../core/errors.js';
import { tenantOf } from '../plugins/auth.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, idParamsSchema, listOf, listQuerySchema, page } from '../schemas/common.js';

const fileSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    path: z.string(),
    campaign_id: z.string().nullable(),
    sha256: z.string(),
    status: z.enum(['received', 'validating', 'sending', 'processed', 'failed', 'duplicate']),
    reason: z.string().nullable(),
    duplicate_of: z.string().nullable(),
    rows_total: z.number(),
    rows_valid: z.number(),
    rows_invalid: z.number(),
    rows_suppressed: z.number(),
    rows_sent: z.number(),
    rows_failed: z.number(),
    workflow_id: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'File' });

const present = (f: FileRecord): z.infer<typeof fileSchema> => ({
  id: f.id, name: f.name, path: f.path, campaign_id: f.campaignId, sha256: f.sha256, status: f.status, reason: f.reason, duplicate_of: f.duplicateOf,
  rows_total: f.rows.total, rows_valid: f.rows.valid, rows_invalid: f.rows.invalid, rows_suppressed: f.rows.suppressed, rows_sent: f.rows.sent, rows_failed: f.rows.failed,
  workflow_id: f.workflowId, created_at: f.createdAt.toISOString(), updated_at: f.updatedAt.toISOString(),
});

/** `/files`: the files dropped on the tenant's SFTP inbox, their counts and invalid rows, and polling now. */
export const fileRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const config = { access: { scopes: ['files' as const] } };

  app.post('/files/poll', {
    config,
    schema: { summary: "Look into the tenant's SFTP inbox now", tags: ['files'], response: { 200: z.object({ workflow_id: z.string(), files_started: z.number() }), ...authErrors } },
  }, async (request) => {
    const tenantId = tenantOf(request);
    if (!(await getTenantSettings(deps.db, tenantId)).sftp) throw badRequest('settings.sftp: the tenant has no SFTP inbox; set it with PATCH /api/v1/tenants/:id/settings', [{ field: 'settings.sftp', message: 'is required' }]);
    const workflowId = `sftp-poll/${tenantId}/${Date.now().toString(36)}`;
    const result = await deps.temporal.workflow.execute('sftpPoll', { taskQueue: deps.config.TEMPORAL_TASK_QUEUE, workflowId, args: [{ tenantId }] });
    return { workflow_id: workflowId, files_started: (result as { started: number }).started };
  });

  app.get('/files', {
    config,
    schema: { summary: 'Files, newest first', tags: ['files'], querystring: listQuerySchema, response: { 200: listOf(fileSchema), ...authErrors } },
  }, async (request) => page((await listFiles(deps.db, tenantOf(request), { limit: request.query.limit, before: request.query.cursor })).map(present), request.query.limit));

  app.get('/files/:id', {
    config,
    schema: {
      summary: 'A file: status, counts while it runs, and its invalid rows',
      tags: ['files'],
      params: idParamsSchema,
      response: { 200: fileSchema.extend({ errors: z.array(z.object({ row: z.number(), column: z.string(), message: z.string() })) }), ...authErrors },
    },
  }, async (request) => {
    const file = await getFile(deps.db, tenantOf(request), request.params.id);
    return { ...present(file), errors: await fileRowErrors(deps.db, file.id, 1_000) };
  });
};
