import { proxyActivities } from '@temporalio/workflow';
import type { DiagnosticsActivities } from '../activities/diagnostics.js';

const { lookupTenant } = proxyActivities<DiagnosticsActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/**
 * Round trip through the whole engine (Temporal → worker → activity → Postgres) for one tenant:
 * what an operator runs to see that a tenant's work can be picked up and its data read.
 */
export async function tenantDiagnostics(tenantId: string): Promise<{ tenantId: string; name: string; apiKeys: number }> {
  return lookupTenant(tenantId);
}
