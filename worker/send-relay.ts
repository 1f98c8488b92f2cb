import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Db } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import { dispatchAccepted, type Undispatched } from '../core/messages.js';
import { searchAttributesFor } from '../workflows/search-attributes.js';
import { inParallel } from '../core/in-parallel.js';
import { startNotifiedLoop } from './notified-loop.js';

const BATCH = 200;
const IN_FLIGHT = 32;
const IDLE_POLL_MS = 1_000;

/**
 * Starts a `sendMessage` workflow for every message the API accepted into the ledger. The API
 * answers once the message is durable in Postgres; this relay turns ledger rows into workflows as
 * fast as Temporal takes them, woken at once by NOTIFY and polling every second as a safety net.
 * Any number of workers can run it: rows are claimed with SKIP LOCKED and workflow ids are keys.
 */
export function startSendRelay(options: { db: Db; databaseUrl: string; client: Client; taskQueue: string; logger: Logger; searchAttributes?: boolean }): { stop(): Promise<void> } {
  const { db, client, taskQueue, logger } = options;
  const startOne = async (m: Undispatched): Promise<boolean> => {
    try {
      await client.workflow.start('sendMessage', {
        taskQueue,
        workflowId: m.workflowId,
        args: [{ tenantId: m.tenantId, messageId: m.id }],
        typedSearchAttributes: options.searchAttributes === false ? undefined : searchAttributesFor({ tenantId: m.tenantId, campaignId: m.campaignId ?? undefined, channel: m.channel, contactKey: m.recipientKey }),
        staticSummary: `${m.channel} ${m.id} to ${m.recipientKey}`,
      });
      return true;
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return true;
      logger.warn({ err: error, messageId: m.id, tenantId: m.tenantId }, 'could not start sendMessage; will retry');
      return false;
    }
  };

  const startBatch = async (batch: Undispatched[]): Promise<string[]> => (await inParallel(batch, IN_FLIGHT, startOne)).map((m) => m.id);

  return startNotifiedLoop({
    name: 'send relay',
    databaseUrl: options.databaseUrl,
    channel: 'mailflow_accepted',
    idleMs: IDLE_POLL_MS,
    logger,
    pass: async () => (await dispatchAccepted(db, BATCH, startBatch)) === BATCH,
  });
}
