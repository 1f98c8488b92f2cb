import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../core/config.js';
import { searchAttributesFor } from '../workflows/search-attributes.js';

export const sftpScheduleId = (tenantId: string) => `sftp-poll/${tenantId}`;

/**
 * Keeps one Temporal Schedule per tenant with an SFTP inbox: `sftpPoll` every SFTP_POLL_INTERVAL,
 * a poll skipped while the previous one still runs. Without an inbox the schedule is removed.
 */
export async function syncSftpSchedule(temporal: Client, config: Config, tenantId: string, hasInbox: boolean): Promise<void> {
  const scheduleId = sftpScheduleId(tenantId);
  if (!hasInbox) {
    await temporal.schedule.getHandle(scheduleId).delete().catch((error) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });
    return;
  }
  const options = {
    scheduleId,
    spec: { intervals: [{ every: config.SFTP_POLL_INTERVAL }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'sftpPoll',
      args: [{ tenantId }],
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId: `sftp-poll/${tenantId}/scheduled`,
      typedSearchAttributes: searchAttributesFor({ tenantId }),
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  };
  try {
    await temporal.schedule.create(options);
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await temporal.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec: options.spec, action: { ...previous.action, ...options.action } }));
  }
}
