import { ParentClosePolicy, proxyActivities, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { FileActivities } from '../activities/files.js';
import { fileCampaign } from './file-campaign.js';
import { searchAttributesFor } from './search-attributes.js';

const { pollInbox } = proxyActivities<FileActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** One look into a tenant's SFTP inbox: each new file claimed starts its own fileCampaign, which outlives this poll. */
export async function sftpPoll({ tenantId }: { tenantId: string }): Promise<{ started: number }> {
  const files = await pollInbox(tenantId);
  let started = 0;
  for (const file of files) {
    try {
      await startChild(fileCampaign, {
        workflowId: file.workflowId,
        args: [{ fileId: file.fileId }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `file ${file.fileId} for ${tenantId}`,
        typedSearchAttributes: searchAttributesFor({ tenantId, campaignId: file.campaignId ?? undefined, channel: file.channel ?? undefined }),
      });
      started++;
    } catch (error) {
      // Already started by an earlier poll: that run has it.
      if ((error as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw error;
    }
  }
  return { started };
}
