import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getCampaign } from '../../core/campaigns.js';
import { flowContactSchema, type FlowContact } from '../../core/contacts.js';
import { withTransaction } from '../../core/db.js';
import { badRequest, invalidFields, notFound } from '../../core/errors.js';
import { flowChannels, type FlowStep } from '../../core/flow-definition.js';
import { enroll, getEnrollment, listEnrollments, requestExit, type Enrollment } from '../../core/flows.js';
import { getTenantSettings } from '../../core/tenant-settings.js';
import type { FlowStatus } from '../../workflows/flow-enrollment.js';
import { tenantOf } from '../plugins/auth.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, errorBodySchema, idParamsSchema, listOf, listQuerySchema, page } from '../schemas/common.js';

const contactInput = z.record(z.string(), z.union([z.string(), z.number()])).meta({ id: 'FlowContact' });
const enrollBodySchema = z.strictObject({ campaign_id: z.string().min(1).max(100), contact: contactInput });
const enrolledSchema = z.object({
  enrollment_id: z.string(),
  workflow_id: z.string(),
  status: z.enum(['enrolled', 'already_enrolled', 're_enrolled']).describe('already_enrolled: this contact already runs this flow, and that enrollment is returned; re_enrolled: an earlier enrollment ended and this is a new one'),
});
const stepDoneSchema = z.object({ step: z.string(), type: z.string(), at: z.string(), message_id: z.string().optional(), outcome: z.string().optional() });
const enrollmentSchema = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    campaign_id: z.string(),
    campaign_version: z.number(),
    contact_key: z.string(),
    status: z.enum(['running', 'completed', 'exited']),
    current_step: z.string().nullable(),
    steps_done: z.array(stepDoneSchema),
    next_wake_at: z.string().nullable(),
    exit_reason: z.string().nullable(),
    created_at: z.string(),
    ended_at: z.string().nullable(),
  })
  .meta({ id: 'Enrollment' });

const present = (e: Enrollment, live?: FlowStatus): z.infer<typeof enrollmentSchema> => ({
  id: e.id,
  workflow_id: e.workflowId,
  campaign_id: e.campaignId,
  campaign_version: e.campaignVersion,
  contact_key: e.contactKey,
  status: live?.status ?? e.status,
  current_step: live ? live.currentStep : e.currentStep,
  steps_done: (live?.stepsDone ?? e.stepsDone).map((s) => ({ step: s.step, type: s.type, at: s.at, ...(s.messageId && { message_id: s.messageId }), ...(s.outcome && { outcome: s.outcome }) })),
  next_wake_at: live?.nextWakeAt ?? null,
  exit_reason: live?.exitReason ?? e.exitReason,
  created_at: e.createdAt.toISOString(),
  ended_at: e.endedAt?.toISOString() ?? null,
});

/** `/flow`: enroll a contact into a flow campaign, read where it is, make it exit. */
export const flowRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const config = { access: { scopes: ['flow' as const] } };

  const enrollContact = async (tenantId: string, campaignId: string, raw: Record<string, unknown>, where: string) => {
    const campaign = await getCampaign(deps.db, tenantId, campaignId).catch(() => {
      throw notFound('campaign', campaignId);
    });
    if (campaign.type !== 'flow') {
      throw badRequest(`campaign_id: ${campaignId} is a ${campaign.type} campaign, not a flow; send to it with ${campaign.channel === 'email' ? 'POST /api/v1/email' : 'POST /api/v1/send'}`, [{ field: 'campaign_id', message: 'is not a flow campaign' }]);
    }
    // The steps were checked when the campaign was saved.
    const channels = flowChannels((campaign.steps ?? []) as FlowStep[]);
    const parsed = flowContactSchema({ mail: channels.has('mail'), email: channels.has('email') }).safeParse(raw);
    if (!parsed.success) throw invalidFields(where, parsed.error.issues);
    if (channels.has('email') && !(await getTenantSettings(deps.db, tenantId)).sender) {
      throw badRequest('This flow sends email but the tenant has no default sender; set it with PUT /api/v1/settings {"sender": {"email": …}}', [{ field: 'settings.sender', message: 'is required for flows that send email' }]);
    }
    const contact = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined && v !== '')) as FlowContact;
    const { enrollment, created, reenrolled } = await enroll(deps.db, { tenantId, campaignId: campaign.id, campaignVersion: campaign.version, contact });
    return { enrollment_id: enrollment.id, workflow_id: enrollment.workflowId, status: !created ? ('already_enrolled' as const) : reenrolled ? ('re_enrolled' as const) : ('enrolled' as const) };
  };

  const enrollResponse = { 202: enrolledSchema, ...authErrors, 429: errorBodySchema };

  app.post('/flow', {
    config,
    schema: { summary: 'Enroll a contact into a flow campaign (Postalytics /flow body)', tags: ['flows'], body: enrollBodySchema, response: enrollResponse },
  }, async (request, reply) => reply.status(202).send(await enrollContact(tenantOf(request), request.body.campaign_id, request.body.contact, 'body.contact')));

  app.post('/flow/:campaign_id', {
    config,
    schema: { summary: 'Enroll the contact in the body into the flow campaign in the path', tags: ['flows'], params: z.strictObject({ campaign_id: z.string().min(1).max(100) }), body: contactInput, response: enrollResponse },
  }, async (request, reply) => reply.status(202).send(await enrollContact(tenantOf(request), request.params.campaign_id, request.body, 'body')));

  app.get('/flow', {
    config,
    schema: {
      summary: 'Enrollments, newest first',
      tags: ['flows'],
      querystring: listQuerySchema.extend({ campaign_id: z.string().optional(), status: z.enum(['running', 'completed', 'exited']).optional() }),
      response: { 200: listOf(enrollmentSchema), ...authErrors },
    },
  }, async (request) => {
    const items = await listEnrollments(deps.db, tenantOf(request), { limit: request.query.limit, before: request.query.cursor, campaignId: request.query.campaign_id, status: request.query.status });
    return page(items.map((e) => present(e)), request.query.limit);
  });

  app.get('/flow/:id', {
    config,
    schema: { summary: 'Where an enrollment is: live from its workflow while it runs', tags: ['flows'], params: idParamsSchema, response: { 200: enrollmentSchema, ...authErrors } },
  }, async (request) => {
    const enrollment = await getEnrollment(deps.db, tenantOf(request), request.params.id);
    if (enrollment.status !== 'running' || !enrollment.runId) return present(enrollment);
    // The run answers for itself while it runs (the latest run: a long flow continues as new; while
    // this enrollment runs no other holds its workflow id). If it cannot (no worker), the last recorded step does.
    const live = await deps.temporal.workflow
      .getHandle(enrollment.workflowId)
      .query<FlowStatus>('status')
      .catch((error) => {
        request.log.warn({ err: error, enrollmentId: enrollment.id }, 'flow status query failed; answering from the database');
        return undefined;
      });
    return present(enrollment, live);
  });

  app.delete('/flow/:id', {
    config,
    schema: { summary: 'Make an enrollment exit (before its next step)', tags: ['flows'], params: idParamsSchema, response: { 202: z.object({ id: z.string(), status: z.enum(['exiting', 'exited', 'completed']) }), ...authErrors } },
  }, async (request, reply) => {
    const tenantId = tenantOf(request);
    const enrollment = await getEnrollment(deps.db, tenantId, request.params.id);
    if (enrollment.status !== 'running') return reply.status(202).send({ id: enrollment.id, status: enrollment.status });
    await withTransaction(deps.db, (tx) => requestExit(tx, tenantId, { enrollmentId: enrollment.id }, 'exited through DELETE /api/v1/flow'));
    const after = await getEnrollment(deps.db, tenantId, enrollment.id);
    return reply.status(202).send({ id: after.id, status: after.status === 'running' ? 'exiting' : after.status });
  });
};
