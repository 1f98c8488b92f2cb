import { ApplicationFailure } from '@temporalio/activity';
import { getCampaign } from '../core/campaigns.js';
import { withTransaction, type Db } from '../core/db.js';
import { checkFlowSteps, planFlow, type FlowPlan } from '../core/flow-definition.js';
import { endEnrollment, getEnrollmentById, markStarted, recordStep, type StepDone } from '../core/flows.js';
import { acceptMessages } from '../core/messages.js';
import { formatAddress, type AddressFields } from '../core/postal-address.js';
import { recipientKey } from '../core/suppressions.js';
import { getTenantSettings } from '../core/tenant-settings.js';

export interface LoadedEnrollment {
  tenantId: string;
  campaignId: string;
  campaignVersion: number;
  contact: Record<string, string>;
  plan: FlowPlan;
}

export interface FlowSendRequest {
  enrollmentId: string;
  stepId: string;
  /** How often this step has been entered before (a loop sends again, a retry does not). */
  visit: number;
  channel: 'email' | 'mail';
  templateId: string;
}

export function flowActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** Records that the enrollment runs (`flow.enrolled`) and returns its contact and the flow at the version it enrolled with. */
    async loadEnrollment(enrollmentId: string): Promise<LoadedEnrollment> {
      const enrollment = await getEnrollmentById(db, enrollmentId).catch(() => {
        throw ApplicationFailure.nonRetryable(`enrollment ${enrollmentId} is not in the database`, 'NotFound');
      });
      await markStarted(db, enrollmentId);
      const campaign = await getCampaign(db, enrollment.tenantId, enrollment.campaignId, enrollment.campaignVersion);
      const steps = await checkFlowSteps(db, enrollment.tenantId, campaign.steps);
      return { tenantId: enrollment.tenantId, campaignId: enrollment.campaignId, campaignVersion: enrollment.campaignVersion, contact: enrollment.contact, plan: planFlow(steps) };
    },

    /** Puts one step's message into the ledger (once per step visit) and returns its id; the flow then sends it. */
    async acceptFlowMessage(request: FlowSendRequest): Promise<string> {
      const enrollment = await getEnrollmentById(db, request.enrollmentId);
      const { contact } = enrollment;
      let recipient: string;
      let payload: Record<string, unknown>;
      if (request.channel === 'email') {
        const sender = (await getTenantSettings(db, enrollment.tenantId)).sender;
        if (!sender) throw ApplicationFailure.nonRetryable('the tenant has no default sender; set settings.sender to send flow emails', 'NoSender');
        if (!contact.email) throw ApplicationFailure.nonRetryable('the contact has no email address', 'NoEmail');
        recipient = contact.email;
        const name = [contact.first_name, contact.last_name].filter(Boolean).join(' ') || undefined;
        payload = { from: sender, to: { email: contact.email, name, customFields: contact } };
      } else {
        recipient = formatAddress(contact as unknown as AddressFields);
        payload = contact;
      }
      const [message] = await acceptMessages(db, [
        {
          tenantId: enrollment.tenantId,
          idempotencyKey: `flow:${enrollment.id}:${request.stepId}:${request.visit}`,
          channel: request.channel,
          campaignId: enrollment.campaignId,
          campaignVersion: enrollment.campaignVersion,
          templateId: request.templateId,
          recipient,
          recipientKey: recipientKey(request.channel, request.channel === 'email' ? recipient : (contact as unknown as AddressFields)),
          request: payload,
          headers: {},
          enrollmentId: enrollment.id,
          workflowId: enrollment.workflowId,
        },
      ]);
      return message!.id;
    },

    async recordFlowStep(enrollmentId: string, n: number, done: StepDone, next: string | null): Promise<void> {
      await recordStep(db, enrollmentId, n, done, next);
    },

    async finishEnrollment(enrollmentId: string, status: 'completed' | 'exited', reason?: string): Promise<void> {
      await withTransaction(db, (tx) => endEnrollment(tx, enrollmentId, { status, reason }));
    },
  };
}
export type FlowActivities = ReturnType<typeof flowActivities>;
