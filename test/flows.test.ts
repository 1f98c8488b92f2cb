// Flows on Temporal's time-skipping test server: days of waits pass in seconds while a test awaits a result.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { FlowStatus } from '../workflows/flow-enrollment.js';
import { designFlowSteps, flowCampaign, flowTenant, getEnrollment, referenceFlowBody, startedRun, waitForEnrollment } from './support/flows.js';
import { setupSuite, type Suite } from './support/harness.js';
import { historyToText } from './support/histories.js';

describe('flows (time-skipping)', () => {
  let suite: Suite;
  before(async () => {
    suite = await setupSuite('flows', {}, { temporal: 'time-skipping' });
    await suite.startWorker();
  });
  after(() => suite.close());

  /** Awaits the run's result (time skips meanwhile) and, with RECORD_HISTORIES=1, keeps its history for the replay test. */
  async function finish(workflowId: string, runId: string, recordAs: string): Promise<FlowStatus> {
    const handle = suite.client.workflow.getHandle(workflowId, runId);
    const result = (await handle.result()) as FlowStatus;
    if (process.env.RECORD_HISTORIES === '1') {
      await writeFile(`test/histories/${recordAs}.json`, historyToText(await handle.fetchHistory()));
    }
    return result;
  }

  const sandbox = async (key: string) => (await suite.call('GET', '/api/v1/sandbox/messages?limit=200', { key })).json().items as Array<{ messageId: string; channel: string; subject: string | null; html: string }>;
  const eventTypes = async (key: string) =>
    ((await suite.call('GET', '/api/v1/events?limit=200', { key })).json().items as Array<{ type: string; data: Record<string, unknown> }>).reverse();

  it('enrolls the reference /flow body and runs email → wait 3d → branch → mail → waitFor opened (7d) → email to the end', async () => {
    const tenant = await flowTenant(suite, 'Reference');
    const campaignId = await flowCampaign(suite, tenant.apiKey, designFlowSteps(tenant.templates));
    const started = Date.now();
    const response = await suite.call('POST', '/api/v1/flow', { key: tenant.apiKey, body: referenceFlowBody(campaignId) });
    assert.equal(response.statusCode, 202, response.body);
    const { enrollment_id, workflow_id, status } = response.json();
    assert.equal(status, 'enrolled');
    assert.equal(workflow_id, `flow/${tenant.id}/${campaignId}/maria.chen@acme.io`);

    const runId = await startedRun(suite, enrollment_id);
    const result = await finish(workflow_id, runId, 'design-flow-to-completion');
    const elapsed = Date.now() - started;
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.stepsDone.map((s) => s.step), ['welcome', 'pause', 'vip', 'postcard', 'opened', 'nudge', 'done']);
    assert.equal(result.stepsDone.find((s) => s.step === 'vip')!.outcome, 'then', 'var_field_1 is Discount50');
    assert.equal(result.stepsDone.find((s) => s.step === 'opened')!.outcome, 'timeout');
    assert.ok(elapsed < 30_000, `10 days of flow took ${elapsed} ms of test time`);

    const sent = await sandbox(tenant.apiKey);
    assert.deepEqual(sent.map((m) => [m.channel, m.subject]).sort(), [['email', 'Still there?'], ['email', 'Welcome'], ['mail', null]].sort());
    assert.match(sent.find((m) => m.channel === 'mail')!.html, /Dear Maria, use Discount50/);

    const events = await eventTypes(tenant.apiKey);
    const types = events.map((e) => e.type);
    assert.equal(types.filter((t) => t === 'flow.enrolled').length, 1);
    assert.equal(types.filter((t) => t === 'flow.step').length, 7);
    assert.equal(types.filter((t) => t === 'message.processed').length, 3);
    assert.equal(types.at(-1), 'flow.completed');

    const view = await getEnrollment(suite, tenant.apiKey, enrollment_id);
    assert.equal(view.status, 'completed');
    assert.equal(view.steps_done.length, 7);
    assert.ok(view.steps_done.filter((s) => s.type === 'email' || s.type === 'mail').every((s) => s.message_id), 'each send step names its message');
  });

  async function waitForFlow(tenant: Awaited<ReturnType<typeof flowTenant>>, label: string) {
    const campaignId = await flowCampaign(suite, tenant.apiKey, [
      { id: 'welcome', type: 'email', templateId: tenant.templates.welcome },
      { id: 'opened', type: 'waitFor', event: 'message.opened', of: 'welcome', timeout: '7d', onEvent: 'thanks', onTimeout: 'nudge' },
      { id: 'nudge', type: 'email', templateId: tenant.templates.nudge, next: 'end' },
      { id: 'thanks', type: 'mail', templateId: tenant.templates.postcard },
      { id: 'end', type: 'exit' },
    ], label);
    const body = referenceFlowBody(campaignId);
    const response = await suite.call('POST', `/api/v1/flow/${campaignId}`, { key: tenant.apiKey, body: body.contact });
    assert.equal(response.statusCode, 202, response.body);
    return response.json() as { enrollment_id: string; workflow_id: string };
  }

  it('waitFor: an opened event posted through the SendPost route wakes the onEvent path; without it the onTimeout path runs', async () => {
    const tenant = await flowTenant(suite, 'Opens');
    const record = (await suite.call('GET', `/api/v1/tenants/${tenant.id}`, { key: suite.adminKey })).json();
    const opened = await waitForFlow(tenant, 'opens');
    const runId = await startedRun(suite, opened.enrollment_id);
    const waiting = await waitForEnrollment(suite, tenant.apiKey, opened.enrollment_id, (e) => e.current_step === 'opened' && e.next_wake_at !== null);
    assert.ok(Date.parse(waiting.next_wake_at!) > Date.now() + 6 * 86_400_000, 'the status query says when the timeout falls');
    const welcome = (await suite.call('GET', `/api/v1/messages/${waiting.steps_done[0]!.message_id}`, { key: tenant.apiKey })).json();
    const payload = JSON.parse(await readFile('test/fixtures/sendpost-webhook-event.json', 'utf8'));
    payload.event.type = 5;
    payload.event.eventID = `open-${welcome.id}`;
    payload.event.messageID = welcome.provider_message_id;
    const posted = await suite.call('POST', new URL(record.providerEvents.sendpost).pathname, { body: payload });
    assert.equal(posted.statusCode, 200, posted.body);
    // The event reaches the run through the signal outbox in real time; only then may the clock skip.
    await waitForEnrollment(suite, tenant.apiKey, opened.enrollment_id, (e) => e.steps_done.some((s) => s.step === 'opened'));
    const woken = await finish(opened.workflow_id, runId, 'waitfor-opened');
    assert.deepEqual(woken.stepsDone.map((s) => `${s.step}:${s.outcome ?? ''}`), ['welcome:sent', 'opened:message.opened', 'thanks:sent', 'end:']);

    const other = await flowTenant(suite, 'NoOpens');
    const silent = await waitForFlow(other, 'no opens');
    const timedOut = await finish(silent.workflow_id, await startedRun(suite, silent.enrollment_id), 'waitfor-timeout');
    assert.deepEqual(timedOut.stepsDone.map((s) => `${s.step}:${s.outcome ?? ''}`), ['welcome:sent', 'opened:timeout', 'nudge:sent', 'end:']);
  });

  it('runs each enrollment on the version it enrolled with while the flow is edited', async () => {
    const tenant = await flowTenant(suite, 'Versions');
    const v1 = [
      { id: 'welcome', type: 'email', templateId: tenant.templates.welcome },
      { id: 'pause', type: 'wait', duration: 'P1D' },
      { id: 'follow-up', type: 'email', templateId: tenant.templates.nudge },
    ];
    const campaignId = await flowCampaign(suite, tenant.apiKey, v1, 'Versioned');
    const first = (await suite.call('POST', '/api/v1/flow', { key: tenant.apiKey, body: referenceFlowBody(campaignId) })).json();
    const firstRun = await startedRun(suite, first.enrollment_id);
    await waitForEnrollment(suite, tenant.apiKey, first.enrollment_id, (e) => e.current_step === 'pause');

    // Version 2 waits longer, so the two runs wake on different days of the skipped clock.
    const v2 = [v1[0], { id: 'pause', type: 'wait', duration: 'P2D' }, { id: 'follow-up', type: 'mail', templateId: tenant.templates.postcard }];
    const edited = await suite.call('PUT', `/api/v1/campaigns/${campaignId}`, { key: tenant.apiKey, body: { name: 'Versioned', type: 'flow', steps: v2 } });
    assert.equal(edited.statusCode, 200, edited.body);
    assert.equal(edited.json().version, 2);
    const body = referenceFlowBody(campaignId);
    const second = (await suite.call('POST', '/api/v1/flow', { key: tenant.apiKey, body: { ...body, contact: { ...body.contact, email: 'second@acme.io' } } })).json();

    const secondRun = await startedRun(suite, second.enrollment_id);
    await waitForEnrollment(suite, tenant.apiKey, second.enrollment_id, (e) => e.current_step === 'pause');
    const a = await finish(first.workflow_id, firstRun, 'versioned-v1');
    const b = await finish(second.workflow_id, secondRun, 'versioned-v2');
    assert.equal(a.stepsDone.at(-1)!.type, 'email', 'the running enrollment finished on version 1');
    assert.equal(b.stepsDone.at(-1)!.type, 'mail', 'the new enrollment took version 2');
    assert.equal((await getEnrollment(suite, tenant.apiKey, first.enrollment_id)).campaign_version, 1);
    assert.equal((await getEnrollment(suite, tenant.apiKey, second.enrollment_id)).campaign_version, 2);
  });

  it('a flow that loops for months continues as new and keeps each run\'s history bounded', async () => {
    const tenant = await flowTenant(suite, 'Loops');
    const campaignId = await flowCampaign(suite, tenant.apiKey, [
      { id: 'digest', type: 'email', templateId: tenant.templates.welcome },
      { id: 'week', type: 'wait', duration: 'P7D', next: 'digest' },
    ], 'Weekly digest');
    const { enrollment_id, workflow_id } = (await suite.call('POST', '/api/v1/flow', { key: tenant.apiKey, body: referenceFlowBody(campaignId) })).json();
    const firstRun = await startedRun(suite, enrollment_id);
    const handle = suite.client.workflow.getHandle(workflow_id);
    let runs = 1;
    // Skip a year at a time until the run has continued as new (about 75 weeks of sends fit in one run).
    for (let year = 0; year < 4 && runs === 1; year++) {
      await suite.testEnv!.sleep(365 * 86_400_000);
      if ((await handle.describe()).runId !== firstRun) runs++;
    }
    assert.equal(runs, 2, 'the run continued as new');
    const view = await waitForEnrollment(suite, tenant.apiKey, enrollment_id, (e) => e.status === 'running' && e.current_step !== null);
    const sent = view.steps_done.filter((s) => s.step === 'digest').length;
    assert.ok(sent > 50, `${sent} weekly emails sent, the state carried across runs`);
    const history = await handle.fetchHistory();
    assert.ok(history.events!.length < 2_000, `the current run's history has ${history.events!.length} events`);
    await suite.call('DELETE', `/api/v1/flow/${enrollment_id}`, { key: tenant.apiKey });
    const exited = await finish(workflow_id, (await handle.describe()).runId, 'weekly-loop-after-continue-as-new');
    assert.equal(exited.status, 'exited');
  });
});
