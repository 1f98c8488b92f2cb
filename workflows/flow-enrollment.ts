import { condition, continueAsNew, defineQuery, defineSignal, patched, proxyLocalActivities, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { FlowActivities, LoadedEnrollment } from '../activities/flow.js';
import type { PlanStep } from '../core/flow-definition.js';
import type { StepDone } from '../core/flows.js';
import { evaluateCondition } from './flow-condition.js';
import { sendLedgerMessage } from './send-message.js';

// Database bookkeeping is short: as local activities it costs the history one marker each.
const { loadEnrollment, acceptFlowMessage, recordFlowStep, finishEnrollment } = proxyLocalActivities<FlowActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface FlowStatus {
  status: 'running' | 'completed' | 'exited';
  currentStep: string | null;
  stepsDone: StepDone[];
  nextWakeAt: string | null;
  exitReason?: string;
}

/** What a run hands the next when it continues as new. */
export interface FlowCarryOver {
  loaded: LoadedEnrollment;
  at: string;
  done: StepDone[];
  messages: Record<string, string>;
  seen: Record<string, string[]>;
  visits: Record<string, number>;
}

export interface FlowEnrollmentInput {
  enrollmentId: string;
  carry?: FlowCarryOver;
}

export const exitSignal = defineSignal<[{ reason: string }]>('exit');
export const messageEventSignal = defineSignal<[{ messageId: string; type: string }]>('messageEvent');
export const statusQuery = defineQuery<FlowStatus>('status');

// Continue as new well before a long or looping flow's history gets heavy.
const HISTORY_LIMIT = 2_000;

/**
 * One contact's journey through a flow: its steps in order (or where a step sends them), sending
 * through the ledger, sleeping on durable timers, waking on the message events routed to it.
 * Suppression, an unsubscribe, an `exit` signal or DELETE end it with `flow.exited`.
 */
export async function flowEnrollment({ enrollmentId, carry }: FlowEnrollmentInput): Promise<FlowStatus> {
  const state: FlowStatus = { status: 'running', currentStep: carry?.at ?? null, stepsDone: carry?.done ?? [], nextWakeAt: null };
  const messages: Record<string, string> = carry?.messages ?? {};
  const seen: Record<string, string[]> = carry?.seen ?? {};
  const visits: Record<string, number> = carry?.visits ?? {};
  let exitRequested: string | undefined;

  setHandler(statusQuery, () => state);
  setHandler(exitSignal, ({ reason }) => {
    exitRequested ??= reason;
  });
  // Events can come before the flow reaches the waitFor that wants them: every one is kept.
  setHandler(messageEventSignal, ({ messageId, type }) => {
    (seen[messageId] ??= []).includes(type) || seen[messageId]!.push(type);
  });

  const loaded = carry?.loaded ?? (await loadEnrollment(enrollmentId));
  const { tenantId, plan, contact } = loaded;

  const finish = async (status: 'completed' | 'exited', reason?: string): Promise<FlowStatus> => {
    await finishEnrollment(enrollmentId, status, reason);
    Object.assign(state, { status, currentStep: null, nextWakeAt: null, ...(reason && { exitReason: reason }) });
    return state;
  };
  const stepDone = async (done: Omit<StepDone, 'at'>, next: string | null) => {
    const entry = { ...done, at: new Date().toISOString() };
    state.stepsDone.push(entry);
    state.currentStep = next;
    await recordFlowStep(enrollmentId, state.stepsDone.length, entry, next);
  };
  /** Sleeps until `until` holds or `ms` pass; says whether `until` held. */
  const waitUntil = async (until: () => boolean, ms: number): Promise<boolean> => {
    state.nextWakeAt = new Date(Date.now() + ms).toISOString();
    try {
      return await condition(until, ms);
    } finally {
      state.nextWakeAt = null;
    }
  };

  let at: string | null = carry?.at ?? plan.first;
  while (at !== null) {
    if (exitRequested) return finish('exited', exitRequested);
    if (workflowInfo().historyLength > HISTORY_LIMIT || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof flowEnrollment>({ enrollmentId, carry: { loaded, at, done: state.stepsDone, messages, seen, visits } });
    }
    const step: PlanStep = plan.steps[at]!;
    state.currentStep = at;
    // Added once enrollments were running: the memo shows the step in the Temporal UI. Runs that
    // started before it replay without the memo command.
    if (patched('flow-current-step-memo')) upsertMemo({ currentStep: at });
    switch (step.type) {
      case 'email':
      case 'mail': {
        const visit = (visits[step.id] = (visits[step.id] ?? 0) + 1);
        const messageId = await acceptFlowMessage({ enrollmentId, stepId: step.id, visit, channel: step.type, templateId: step.templateId });
        messages[step.id] = messageId;
        const outcome = await sendLedgerMessage(tenantId, messageId);
        await stepDone({ step: step.id, type: step.type, messageId, outcome: outcome.status }, outcome.status === 'sent' ? step.next : null);
        if (outcome.status === 'dropped') return finish('exited', `step "${step.id}" was not sent: ${outcome.reason ?? 'suppressed'}`);
        if (outcome.status !== 'sent') return finish('exited', `step "${step.id}" could not be sent: ${outcome.reason ?? outcome.status}`);
        at = step.next;
        break;
      }
      case 'wait': {
        await waitUntil(() => exitRequested !== undefined, step.ms);
        if (exitRequested) continue;
        await stepDone({ step: step.id, type: step.type }, step.next);
        at = step.next;
        break;
      }
      case 'waitFor': {
        const messageId: string | undefined = messages[step.of];
        const happened = (): boolean => messageId !== undefined && (seen[messageId] ?? []).includes(step.event);
        await waitUntil(() => exitRequested !== undefined || happened(), step.timeoutMs);
        if (exitRequested) continue;
        const next: string | null = happened() ? step.onEvent : step.onTimeout;
        await stepDone({ step: step.id, type: step.type, ...(messageId && { messageId }), outcome: happened() ? step.event : 'timeout' }, next);
        at = next;
        break;
      }
      case 'branch': {
        const taken = evaluateCondition(step.if, contact);
        const next: string | null = taken ? step.then : step.else;
        await stepDone({ step: step.id, type: step.type, outcome: taken ? 'then' : 'else' }, next);
        at = next;
        break;
      }
      case 'exit':
        await stepDone({ step: step.id, type: step.type }, null);
        return finish('completed');
    }
  }
  return finish('completed');
}
