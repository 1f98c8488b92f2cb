// Flows on the dev server: exits (unsubscribe, DELETE, suppression), duplicates, listing by search attributes, and bad definitions.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { flowCampaign, flowTenant, referenceFlowBody, startedRun, waitForEnrollment } from './support/flows.js';
import { setupSuite, type Suite } from './support/harness.js';
import { createTemplate } from './support/sends.js';

describe('flow control', () => {
  let suite: Suite;
  before(async () => {
    suite = await setupSuite('flow_control');
    await suite.startWorker();
  });
  after(() => suite.close());

  type Tenant = Awaited<ReturnType<typeof flowTenant>>;
  const dripSteps = (t: Tenant['templates']) => [
    { id: 'welcome', type: 'email', templateId: t.welcome },
    { id: 'pause', type: 'wait', duration: '1h' },
    { id: 'nudge', type: 'email', templateId: t.nudge },
  ];
  const enroll = async (tenant: Tenant, campaignId: string, email: string) => {
    const body = referenceFlowBody(campaignId);
    const response = await suite.call('POST', '/api/v1/flow', { key: tenant.apiKey, body: { ...body, contact: { ...body.contact, email } } });
    assert.equal(response.statusCode, 202, response.body);
    return response.json() as { enrollment_id: string; workflow_id: string; status: string };
  };
  const sandbox = async (tenant: Tenant) => (await suite.call('GET', '/api/v1/sandbox/messages?limit=200', { key: tenant.apiKey })).json().items as Array<{ recipient: string; headers: Record<string, string> }>;

  it('an unsubscribe mid-flow exits the enrollment before its next send', async () => {
    const tenant = await flowTenant(suite, 'Unsubscribes');
    const campaignId = await flowCampaign(suite, tenant.apiKey, dripSteps(tenant.templates));
    const other = await flowCampaign(suite, tenant.apiKey, dripSteps(tenant.templates), 'Second flow');
    const { enrollment_id } = await enroll(tenant, campaignId, 'leaving@acme.io');
    const { enrollment_id: alsoRunning } = await enroll(tenant, other, 'leaving@acme.io');
    for (const id of [enrollment_id, alsoRunning]) await waitForEnrollment(suite, tenant.apiKey, id, (e) => e.current_step === 'pause' && e.next_wake_at !== null);
    const welcome = (await sandbox(tenant)).find((m) => m.recipient === 'leaving@acme.io')!;
    const link = /<(.+)>/.exec(welcome.headers['List-Unsubscribe']!)![1]!;
    const unsubscribed = await suite.call('POST', new URL(link).pathname, { body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(unsubscribed.statusCode, 200);

    for (const id of [enrollment_id, alsoRunning]) {
      const exited = await waitForEnrollment(suite, tenant.apiKey, id, (e) => e.status === 'exited');
      assert.match(exited.exit_reason!, /unsubscribed/);
      assert.ok(!exited.steps_done.some((s) => s.step === 'nudge'));
    }
    const events = (await suite.call('GET', '/api/v1/events?type=flow.exited', { key: tenant.apiKey })).json().items;
    assert.equal(events.length, 2);
    assert.equal((await sandbox(tenant)).filter((m) => m.recipient === 'leaving@acme.io').length, 2, 'one welcome per flow, no nudge');
  });

  it('DELETE exits an enrollment; a second enrollment of the same contact returns the first, and after the end a new one starts', async () => {
    const tenant = await flowTenant(suite, 'Deletes');
    const campaignId = await flowCampaign(suite, tenant.apiKey, dripSteps(tenant.templates));
    const first = await enroll(tenant, campaignId, 'twice@acme.io');
    assert.equal(first.status, 'enrolled');
    const again = await enroll(tenant, campaignId, 'Twice@Acme.io');
    assert.deepEqual(again, { ...first, status: 'already_enrolled' });

    await waitForEnrollment(suite, tenant.apiKey, first.enrollment_id, (e) => e.current_step === 'pause');
    const deleted = await suite.call('DELETE', `/api/v1/flow/${first.enrollment_id}`, { key: tenant.apiKey });
    assert.equal(deleted.statusCode, 202, deleted.body);
    const exited = await waitForEnrollment(suite, tenant.apiKey, first.enrollment_id, (e) => e.status === 'exited');
    assert.match(exited.exit_reason!, /DELETE/);

    const later = await enroll(tenant, campaignId, 'twice@acme.io');
    assert.equal(later.status, 're_enrolled');
    assert.notEqual(later.enrollment_id, first.enrollment_id);
    assert.equal(later.workflow_id, first.workflow_id, 'the workflow id is the contact within the campaign');
    await waitForEnrollment(suite, tenant.apiKey, later.enrollment_id, (e) => e.current_step === 'pause');
    await suite.call('DELETE', `/api/v1/flow/${later.enrollment_id}`, { key: tenant.apiKey });
    await waitForEnrollment(suite, tenant.apiKey, later.enrollment_id, (e) => e.status === 'exited');

    const stranger = await suite.newTenant('Stranger');
    assert.equal((await suite.call('GET', `/api/v1/flow/${first.enrollment_id}`, { key: stranger.apiKey })).statusCode, 404);
    assert.equal((await suite.call('DELETE', `/api/v1/flow/${first.enrollment_id}`, { key: stranger.apiKey })).statusCode, 404);
  });

  it('a suppressed contact exits with the reason and is sent nothing', async () => {
    const tenant = await flowTenant(suite, 'Suppressed');
    const campaignId = await flowCampaign(suite, tenant.apiKey, dripSteps(tenant.templates));
    const added = await suite.call('POST', '/api/v1/suppressions', { key: tenant.apiKey, body: { channel: 'email', value: 'blocked@acme.io', reason: 'complained' } });
    assert.equal(added.statusCode, 201, added.body);
    const { enrollment_id } = await enroll(tenant, campaignId, 'blocked@acme.io');
    const exited = await waitForEnrollment(suite, tenant.apiKey, enrollment_id, (e) => e.status === 'exited');
    assert.match(exited.exit_reason!, /suppressed at account level: complained/);
    assert.equal((await sandbox(tenant)).length, 0);
  });

  it('lists exactly one campaign\'s enrollments through the Temporal client by TenantId AND CampaignId', async () => {
    const tenant = await flowTenant(suite, 'Listing');
    const campaignA = await flowCampaign(suite, tenant.apiKey, dripSteps(tenant.templates), 'A');
    const campaignB = await flowCampaign(suite, tenant.apiKey, dripSteps(tenant.templates), 'B');
    const other = await flowTenant(suite, 'Listing elsewhere');
    const otherCampaign = await flowCampaign(suite, other.apiKey, dripSteps(other.templates), 'A');
    const inA = await Promise.all(['a1', 'a2', 'a3'].map((n) => enroll(tenant, campaignA, `${n}@acme.io`)));
    const all = [...inA, ...(await Promise.all(['b1', 'b2'].map((n) => enroll(tenant, campaignB, `${n}@acme.io`)))), await enroll(other, otherCampaign, 'a1@acme.io')];
    await Promise.all(all.map((e) => startedRun(suite, e.enrollment_id)));

    const query = `TenantId = "${tenant.id}" AND CampaignId = "${campaignA}"`;
    let found: string[] = [];
    for (let i = 0; i < 100 && found.length !== 3; i++) {
      found = [];
      for await (const run of suite.client.workflow.list({ query })) found.push(run.workflowId);
      if (found.length !== 3) await sleep(200);
    }
    assert.deepEqual(found.sort(), inA.map((e) => e.workflow_id).sort());
    await Promise.all(all.map((e) => suite.call('DELETE', `/api/v1/flow/${e.enrollment_id}`, { key: e === all.at(-1) ? other.apiKey : tenant.apiKey })));
  });

  it('refuses bad flow definitions with a 400 that names the step', async () => {
    const tenant = await flowTenant(suite, 'Definitions');
    const stranger = await flowTenant(suite, 'Other templates');
    const t = tenant.templates;
    const cases: Array<[string, unknown[], RegExp]> = [
      ['unknown step named', [{ id: 'a', type: 'email', templateId: t.welcome, next: 'nowhere' }], /steps\[0\] \(step "a"\): next names step "nowhere"/],
      ['unknown type', [{ id: 'a', type: 'sms', templateId: t.welcome }], /step "a".*"sms" is not a step type/],
      ['loop without a wait', [{ id: 'a', type: 'email', templateId: t.welcome }, { id: 'b', type: 'branch', if: { field: 'x', op: 'exists' }, then: 'a' }], /step "a".*loop without a wait/],
      ['mail template on an email step', [{ id: 'a', type: 'email', templateId: t.postcard }], /step "a".*is a mail template/],
      ["another tenant's template", [{ id: 'a', type: 'email', templateId: stranger.templates.welcome }], /step "a".*does not exist/],
      ['bad duration', [{ id: 'a', type: 'wait', duration: 'soon' }], /step "a".*duration is not a duration/],
      ['waitFor of a step that sends nothing', [{ id: 'w', type: 'wait', duration: '1d' }, { id: 'b', type: 'waitFor', event: 'message.opened', of: 'w', timeout: '1d' }], /step "b".*sends nothing/],
    ];
    for (const [label, steps, message] of cases) {
      const response = await suite.call('POST', '/api/v1/campaigns', { key: tenant.apiKey, body: { name: label, type: 'flow', steps } });
      assert.equal(response.statusCode, 400, `${label}: ${response.body}`);
      assert.match(response.json().error.message, message, label);
    }
    const loopWithWait = await suite.call('POST', '/api/v1/campaigns', {
      key: tenant.apiKey,
      body: { name: 'weekly', type: 'flow', steps: [{ id: 'a', type: 'email', templateId: t.welcome }, { id: 'w', type: 'wait', duration: 'P7D', next: 'a' }] },
    });
    assert.equal(loopWithWait.statusCode, 201, 'a loop through a wait is fine');

    const mailFlow = await flowCampaign(suite, tenant.apiKey, [{ id: 'card', type: 'mail', templateId: t.postcard }], 'Mail only');
    const { address_zip: _zip, ...contact } = referenceFlowBody(mailFlow).contact;
    const missing = await suite.call('POST', `/api/v1/flow/${mailFlow}`, { key: tenant.apiKey, body: contact });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().error.message, /^body\.address_zip: is required for a mail piece/);
    const notFlow = await suite.call('POST', '/api/v1/campaigns', { key: tenant.apiKey, body: { name: 'one-off', type: 'triggered', channel: 'email', templateId: await createTemplate(suite, tenant.apiKey, { name: 'x', channel: 'email', subject: 's', html: 'h' }) } });
    const wrongType = await suite.call('POST', '/api/v1/flow', { key: tenant.apiKey, body: referenceFlowBody(notFlow.json().id) });
    assert.equal(wrongType.statusCode, 400);
    assert.match(wrongType.json().error.message, /not a flow/);
  });
});
