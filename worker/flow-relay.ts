import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { Db } from '../core/db.js';
import { dispatchEnrollments, drainFlowSignals, type PendingSignal, type UndispatchedEnrollment } from '../core/flows.js';
import type { Logger } from '../core/logger.js';
import { searchAttributesFor } from '../workflows/search-attributes.js';
import { inParallel } from '../core/in-parallel.js';
import { startNotifiedLoop } from './notified-loop.js';

const BATCH = 200;
const IN_FLIGHT = 32;
const IDLE_POLL_MS = 1_000;

/**
 * Starts a `flowEnrollment` workflow for every enrollment the API recorded, as the send relay does
 * for messages. The workflow id is the contact's within the campaign, so a re-enrollment shares it
 * with the run before; the memo's enrollment id tells our own earlier start from a run still ending.
 */
export function startFlowRelay(options: { db: Db; databaseUrl: string; client: Client; taskQueue: string; logger: Logger; searchAttributes?: boolean }): { stop(): Promise<void> } {
  const { db, client, taskQueue, logger } = options;
  const runIds = new Map<string, string>();
  const startOne = async (e: UndispatchedEnrollment): Promise<boolean> => {
    try {
      const handle = await client.workflow.start('flowEnrollment', {
        taskQueue,
        workflowId: e.workflowId,
        args: [{ enrollmentId: e.id }],
        memo: { enrollmentId: e.id },
        typedSearchAttributes: options.searchAttributes === false ? undefined : searchAttributesFor({ tenantId: e.tenantId, campaignId: e.campaignId, channel: 'flow', contactKey: e.contactKey }),
        staticSummary: `flow ${e.campaignId} for ${e.contactKey} (enrollment ${e.id})`,
      });
      runIds.set(e.id, handle.firstExecutionRunId);
      return true;
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        const described = await client.workflow.getHandle(e.workflowId).describe().catch(() => undefined);
        if (described?.memo?.enrollmentId === e.id) {
          runIds.set(e.id, described.runId);
          return true;
        }
        // The contact's previous enrollment is still closing; this one starts on a later pass.
        return false;
      }
      logger.warn({ err: error, enrollmentId: e.id, tenantId: e.tenantId }, 'could not start flowEnrollment; will retry');
      return false;
    }
  };
  return startNotifiedLoop({
    name: 'flow relay',
    databaseUrl: options.databaseUrl,
    channel: 'mailflow_enrolled',
    idleMs: IDLE_POLL_MS,
    logger,
    pass: async () =>
      (await dispatchEnrollments(db, BATCH, async (batch) => {
        const started = await inParallel(batch, IN_FLIGHT, startOne);
        const ids = started.map((e) => ({ id: e.id, runId: runIds.get(e.id)! }));
        runIds.clear();
        return ids;
      })) === BATCH,
  });
}

/**
 * Delivers the flow signal outbox: message events to the enrollment that sent the message, and
 * exits. A signal for a run that has ended is dropped; one that fails otherwise stays queued.
 */
export function startFlowSignalRelay(options: { db: Db; databaseUrl: string; client: Client; logger: Logger }): { stop(): Promise<void> } {
  const { db, client, logger } = options;
  const deliverOne = async (s: PendingSignal): Promise<boolean> => {
    try {
      await client.workflow.getHandle(s.workflowId).signal(s.signal, s.payload);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return true;
      logger.warn({ err: error, enrollmentId: s.enrollmentId, signal: s.signal }, 'could not signal flowEnrollment; will retry');
      return false;
    }
  };
  return startNotifiedLoop({
    name: 'flow signal relay',
    databaseUrl: options.databaseUrl,
    channel: 'mailflow_flow_signals',
    idleMs: IDLE_POLL_MS,
    logger,
    pass: async () => (await drainFlowSignals(db, BATCH, async (batch) => (await inParallel(batch, IN_FLIGHT, deliverOne)).map((s) => s.id))) === BATCH,
  });
}
