import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { searchAttributesFor } from '../workflows/search-attributes.js';
import { setupSuite, type Suite } from './support/harness.js';

describe('the worker on a real Temporal dev server', () => {
  let suite: Suite;
  before(async () => {
    suite = await setupSuite('worker');
  });
  after(() => suite.close());

  it('is unhealthy while no worker polls its task queue, healthy once one does', async () => {
    const before = await suite.call('GET', '/healthz');
    assert.equal(before.statusCode, 503);
    const down = before.json();
    assert.equal(down.checks.postgres.ok, true);
    assert.equal(down.checks.temporal.ok, true);
    assert.equal(down.checks.worker.ok, false);
    assert.match(down.checks.worker.detail, /no worker is polling/);

    await suite.startWorker();
    let health = await suite.call('GET', '/healthz');
    for (let i = 0; i < 50 && health.statusCode !== 200; i++) {
      await sleep(100);
      health = await suite.call('GET', '/healthz');
    }
    assert.equal(health.statusCode, 200, health.body);
    assert.equal(health.json().status, 'ok');
    assert.ok(health.json().checks.worker.pollers >= 1);
  });

  it('runs a workflow tagged with TenantId, found again by a list query', async () => {
    const { id: tenantId } = await suite.newTenant('Listed');
    const { id: otherTenant } = await suite.newTenant('Other');
    await suite.startWorker();
    const start = (tenant: string) =>
      suite.client.workflow.start('tenantDiagnostics', {
        taskQueue: suite.config.TEMPORAL_TASK_QUEUE,
        workflowId: `diagnostics/${tenant}`,
        args: [tenant],
        typedSearchAttributes: searchAttributesFor({ tenantId: tenant }),
      });
    const handle = await start(tenantId);
    await start(otherTenant);
    const result = await handle.result();
    assert.deepEqual(result, { tenantId, name: 'Listed', apiKeys: 1 }, 'the activity read the tenant from Postgres');

    const found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      for await (const run of suite.client.workflow.list({ query: `TenantId = "${tenantId}"` })) found.push(run.workflowId);
      if (!found.length) await sleep(100);
    }
    assert.deepEqual(found, [`diagnostics/${tenantId}`]);
  });

  it('fails a run for an unknown tenant without retrying forever', async () => {
    await suite.startWorker();
    const handle = await suite.client.workflow.start('tenantDiagnostics', {
      taskQueue: suite.config.TEMPORAL_TASK_QUEUE,
      workflowId: 'diagnostics/ten_missing',
      args: ['ten_missing'],
      typedSearchAttributes: searchAttributesFor({ tenantId: 'ten_missing' }),
    });
    await assert.rejects(handle.result(), /Workflow execution failed/);
  });
});
