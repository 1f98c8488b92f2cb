import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { SendActivities, SendOutcome } from '../activities/send.js';

// Suppression check and rendering are short database work: as a local activity they cost the
// history a marker instead of three events and a round trip through the task queue.
const { prepareMessage } = proxyLocalActivities<SendActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 },
});

const { failMessage } = proxyActivities<SendActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 },
});

const { deliverMessage } = proxyActivities<SendActivities>({
  startToCloseTimeout: '1 minute',
  // A worker killed mid-call is noticed within this, and the call retried with the same idempotency key.
  heartbeatTimeout: '10 seconds',
  // Providers that stay down past a day fail the message rather than hold it forever.
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export interface SendMessageInput {
  tenantId: string;
  messageId: string;
}

const reasonOf = (error: unknown): string => {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : String(cause);
};

/**
 * Sends one message already in the ledger: check suppression and render, then hand it to the
 * provider. Each step records its outcome in the ledger, so a replay or a restarted worker never
 * sends twice. Flows send their steps through this too.
 */
export async function sendLedgerMessage(tenantId: string, messageId: string): Promise<SendOutcome> {
  try {
    const prepared = await prepareMessage(tenantId, messageId);
    if (prepared.status !== 'rendered') return prepared;
    return await deliverMessage(tenantId, messageId);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    return failMessage(tenantId, messageId, reasonOf(error));
  }
}

/** One message to one recipient, as `/send` and `/email` accept it. */
export async function sendMessage({ tenantId, messageId }: SendMessageInput): Promise<SendOutcome> {
  return sendLedgerMessage(tenantId, messageId);
}
