import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Suite } from './harness.js';
import { createCampaign, createTemplate, patchSettings } from './sends.js';

/** reference/001's `/flow` body as written there; only the campaign id is ours. */
export const referenceFlowBody = (campaignId: string) => ({
  campaign_id: campaignId,
  contact: {
    first_name: 'Maria',
    last_name: 'Chen',
    organization: 'Acme Widgets',
    address_street: '456 Innovation Way',
    address_city: 'Austin',
    address_state: 'TX',
    address_zip: '73301',
    email: 'maria.chen@acme.io',
    var_field_1: 'Discount50',
  },
});

/** A tenant with a sender and one email and one mail template, ready for flows. */
export async function flowTenant(suite: Suite, name = 'Flows') {
  const tenant = await suite.newTenant(name);
  await patchSettings(suite, tenant.id, { sender: { email: 'hello@acme.example', name: 'Acme' } });
  const email = (subject: string) => createTemplate(suite, tenant.apiKey, { name: subject, channel: 'email', subject, html: `<p>${subject}, {{first_name}}</p>` });
  const welcome = await email('Welcome');
  const nudge = await email('Still there?');
  const postcard = await createTemplate(suite, tenant.apiKey, { name: 'postcard', channel: 'mail', html: '<p>Dear {{first_name}}, use {{var_field_1}}</p>' });
  return { ...tenant, templates: { welcome, nudge, postcard } };
}

/** DESIGN.md's example flow: email, wait 3d, branch, mail, waitFor opened (7d), email, exit. */
export const designFlowSteps = (t: { welcome: string; nudge: string; postcard: string }) => [
  { id: 'welcome', type: 'email', templateId: t.welcome },
  { id: 'pause', type: 'wait', duration: '3d' },
  { id: 'vip', type: 'branch', if: { field: 'var_field_1', op: 'eq', value: 'Discount50' }, then: 'postcard', else: 'opened' },
  { id: 'postcard', type: 'mail', templateId: t.postcard },
  { id: 'opened', type: 'waitFor', event: 'message.opened', of: 'welcome', timeout: '7d', onEvent: 'done', onTimeout: 'nudge' },
  { id: 'nudge', type: 'email', templateId: t.nudge, next: 'done' },
  { id: 'done', type: 'exit' },
];

export async function flowCampaign(suite: Suite, key: string, steps: unknown[], name = 'Onboarding') {
  return createCampaign(suite, key, { name, type: 'flow', steps });
}

export interface EnrollmentView {
  id: string;
  workflow_id: string;
  status: string;
  campaign_version: number;
  current_step: string | null;
  steps_done: Array<{ step: string; type: string; message_id?: string; outcome?: string }>;
  next_wake_at: string | null;
  exit_reason: string | null;
}

export async function getEnrollment(suite: Suite, key: string, id: string): Promise<EnrollmentView> {
  const response = await suite.call('GET', `/api/v1/flow/${id}`, { key });
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
}

/** Polls the enrollment until `until` holds. */
export async function waitForEnrollment(suite: Suite, key: string, id: string, until: (e: EnrollmentView) => boolean, timeoutMs = 30_000): Promise<EnrollmentView> {
  const deadline = Date.now() + timeoutMs;
  let last: EnrollmentView | undefined;
  while (Date.now() < deadline) {
    last = await getEnrollment(suite, key, id);
    if (until(last)) return last;
    await sleep(100);
  }
  throw new Error(`enrollment ${id} did not get there within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/** Waits until the flow relay has started the enrollment's workflow, and returns its run id. */
export async function startedRun(suite: Suite, enrollmentId: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await suite.db.query('SELECT run_id FROM flow_enrollments WHERE id = $1', [enrollmentId]);
    if (rows[0]?.run_id) return rows[0].run_id;
    await sleep(50);
  }
  throw new Error(`enrollment ${enrollmentId} was not started within ${timeoutMs} ms`);
}
