import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../core/db.js';
import { AppError } from '../core/errors.js';
import { getTenant } from '../core/tenants.js';

export function diagnosticsActivities(db: Db) {
  return {
    async lookupTenant(tenantId: string) {
      try {
        const tenant = await getTenant(db, tenantId);
        const { rows } = await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL',
          [tenantId],
        );
        return { tenantId: tenant.id, name: tenant.name, apiKeys: rows[0]!.n };
      } catch (error) {
        if (error instanceof AppError && error.status === 404) throw ApplicationFailure.nonRetryable(error.message, 'NotFound');
        throw error;
      }
    },
  };
}
export type DiagnosticsActivities = ReturnType<typeof diagnosticsActivities>;
