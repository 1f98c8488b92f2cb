import { z } from 'zod';
import type { Queryable } from './db.js';
import { DURATION_HINT, parseDuration } from './duration.js';
import { badRequest } from './errors.js';
import { EVENT_TYPES } from './events.js';
import { getTemplate } from './templates.js';

const stepId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, _ . or -');
const duration = z.string().refine((text) => parseDuration(text) !== undefined, { message: `is not a duration; ${DURATION_HINT}` });
/** The events a `waitFor` can wait on: what happens to a message after it was sent. */
export const WAITABLE_EVENTS = EVENT_TYPES.filter((t) => (t.startsWith('message.') || t.startsWith('mail.')) && t !== 'message.dropped' && t !== 'message.failed');

const conditionSchema = z
  .strictObject({
    field: z.string().min(1).max(100),
    op: z.enum(['eq', 'neq', 'exists', 'in', 'gt', 'lt']),
    value: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.op === 'in' && !Array.isArray(c.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be a list for op "in"' });
    if (c.op !== 'in' && c.op !== 'exists' && (c.value === undefined || Array.isArray(c.value))) ctx.addIssue({ code: 'custom', path: ['value'], message: `must be one value for op "${c.op}"` });
  });
export type FlowCondition = z.infer<typeof conditionSchema>;

const sendStep = { id: stepId, templateId: z.string().min(1).max(100), next: stepId.optional() };
export const flowStepSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...sendStep, type: z.literal('email') }),
  z.strictObject({ ...sendStep, type: z.literal('mail') }),
  z.strictObject({ id: stepId, type: z.literal('wait'), duration, next: stepId.optional() }),
  z.strictObject({
    id: stepId,
    type: z.literal('waitFor'),
    event: z.enum(WAITABLE_EVENTS as [string, ...string[]]),
    of: stepId,
    timeout: duration,
    onEvent: stepId.optional(),
    onTimeout: stepId.optional(),
  }),
  z.strictObject({ id: stepId, type: z.literal('branch'), if: conditionSchema, then: stepId, else: stepId.optional() }),
  z.strictObject({ id: stepId, type: z.literal('exit') }),
]);
export type FlowStep = z.infer<typeof flowStepSchema>;
const STEP_TYPES = ['email', 'mail', 'wait', 'waitFor', 'branch', 'exit'];

/** A flow as its workflow runs it: durations in milliseconds and every successor explicit (null: the flow is done). */
export type PlanStep =
  | { id: string; type: 'email' | 'mail'; templateId: string; next: string | null }
  | { id: string; type: 'wait'; ms: number; next: string | null }
  | { id: string; type: 'waitFor'; event: string; of: string; timeoutMs: number; onEvent: string | null; onTimeout: string | null }
  | { id: string; type: 'branch'; if: FlowCondition; then: string; else: string | null }
  | { id: string; type: 'exit' };
export interface FlowPlan {
  first: string;
  steps: Record<string, PlanStep>;
}

const label = (step: unknown, index: number) => {
  const id = (step as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? `step "${id}"` : `step ${index + 1}`;
};
const stepError = (index: number, step: unknown, message: string, field?: string) =>
  badRequest(`body.steps[${index}] (${label(step, index)}): ${field ? `${field} ` : ''}${message}`, [{ field: `body.steps.${index}${field ? `.${field}` : ''}`, message }]);

/** Where control goes after each step, in list order unless the step names its next. */
function successors(steps: FlowStep[], index: number): string[] {
  const step = steps[index]!;
  const following = steps[index + 1]?.id;
  const orNext = (named: string | undefined) => named ?? following;
  switch (step.type) {
    case 'exit':
      return [];
    case 'branch':
      return [step.then, orNext(step.else)].filter((s): s is string => !!s);
    case 'waitFor':
      return [orNext(step.onEvent), orNext(step.onTimeout)].filter((s): s is string => !!s);
    default:
      return [orNext(step.next)].filter((s): s is string => !!s);
  }
}

/** A step on a loop that never waits would send without end; it is returned so the error can name it. */
function stepOnCycleWithoutWait(steps: FlowStep[]): string | undefined {
  const indexOf = new Map(steps.map((s, i) => [s.id, i]));
  const waits = (s: FlowStep) => s.type === 'wait' || s.type === 'waitFor';
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string): string | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return id;
    state.set(id, 'open');
    const index = indexOf.get(id)!;
    for (const next of successors(steps, index)) {
      if (waits(steps[indexOf.get(next)!]!)) continue;
      const found = visit(next);
      if (found) return found;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const step of steps) {
    if (waits(step)) continue;
    const found = visit(step.id);
    if (found) return found;
  }
  return undefined;
}

/**
 * Checks a flow's steps as saved: each step's shape, unique ids, every step it names, no loop that
 * never waits, and templates that are this tenant's and of the step's channel. Errors name the step.
 */
export async function checkFlowSteps(db: Queryable, tenantId: string, raw: unknown[] | undefined): Promise<FlowStep[]> {
  if (!raw?.length) throw badRequest('body.steps: a flow campaign needs at least one step', [{ field: 'body.steps', message: 'is required' }]);
  if (raw.length > 200) throw badRequest('body.steps: at most 200 steps', [{ field: 'body.steps', message: 'too many steps' }]);
  const steps: FlowStep[] = raw.map((step, index) => {
    const type = (step as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !STEP_TYPES.includes(type)) {
      throw stepError(index, step, `"${String(type)}" is not a step type; use one of ${STEP_TYPES.join(', ')}`, 'type');
    }
    const parsed = flowStepSchema.safeParse(step);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw stepError(index, step, issue.message, issue.path.join('.') || undefined);
    }
    return parsed.data;
  });
  const ids = new Map<string, number>();
  steps.forEach((step, index) => {
    if (ids.has(step.id)) throw stepError(index, step, `repeats the id of step ${ids.get(step.id)! + 1}`, 'id');
    ids.set(step.id, index);
  });
  for (const [index, step] of steps.entries()) {
    const named: Array<[string, string | undefined]> =
      step.type === 'branch' ? [['then', step.then], ['else', step.else]]
      : step.type === 'waitFor' ? [['of', step.of], ['onEvent', step.onEvent], ['onTimeout', step.onTimeout]]
      : step.type === 'exit' ? []
      : [['next', step.next]];
    for (const [field, target] of named) {
      if (target !== undefined && !ids.has(target)) throw stepError(index, step, `names step "${target}", which is not in this flow`, field);
    }
    if (step.type === 'waitFor') {
      const of = steps[ids.get(step.of)!]!;
      if (of.type !== 'email' && of.type !== 'mail') throw stepError(index, step, `names step "${step.of}", which sends nothing; name an email or mail step`, 'of');
      const wanted = step.event.startsWith('mail.') ? 'mail' : 'email';
      if (of.type !== wanted) throw stepError(index, step, `${step.event} never happens to the ${of.type} of step "${step.of}"`, 'event');
    }
  }
  const looping = stepOnCycleWithoutWait(steps);
  if (looping) throw stepError(ids.get(looping)!, steps[ids.get(looping)!], 'is on a loop without a wait or waitFor step; add a wait so the loop cannot send without end');
  for (const [index, step] of steps.entries()) {
    if (step.type !== 'email' && step.type !== 'mail') continue;
    const template = await getTemplate(db, tenantId, step.templateId).catch(() => undefined);
    if (!template) throw stepError(index, step, `template ${step.templateId} does not exist`, 'templateId');
    if (template.channel !== step.type) throw stepError(index, step, `template ${step.templateId} is a ${template.channel} template; a ${step.type} step needs a ${step.type} template`, 'templateId');
  }
  return steps;
}

/** The channels a flow sends on, which decide what a contact must carry to enroll. */
export const flowChannels = (steps: FlowStep[]) => new Set(steps.flatMap((s) => (s.type === 'email' || s.type === 'mail' ? [s.type] : [])));

/** Turns checked steps into the plan the workflow runs. */
export function planFlow(steps: FlowStep[]): FlowPlan {
  const plan: Record<string, PlanStep> = {};
  steps.forEach((step, index) => {
    const following = steps[index + 1]?.id ?? null;
    const or = (named: string | undefined) => named ?? following;
    switch (step.type) {
      case 'email':
      case 'mail':
        plan[step.id] = { id: step.id, type: step.type, templateId: step.templateId, next: or(step.next) };
        break;
      case 'wait':
        plan[step.id] = { id: step.id, type: 'wait', ms: parseDuration(step.duration)!, next: or(step.next) };
        break;
      case 'waitFor':
        plan[step.id] = { id: step.id, type: 'waitFor', event: step.event, of: step.of, timeoutMs: parseDuration(step.timeout)!, onEvent: or(step.onEvent), onTimeout: or(step.onTimeout) };
        break;
      case 'branch':
        plan[step.id] = { id: step.id, type: 'branch', if: step.if, then: step.then, else: or(step.else) };
        break;
      case 'exit':
        plan[step.id] = { id: step.id, type: 'exit' };
    }
  });
  return { first: steps[0]!.id, steps: plan };
}
