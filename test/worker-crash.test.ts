import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setupSuite, type Suite } from './support/harness.js';
import { ProviderStandIn } from './support/provider-stand-ins.js';
import { patchSettings, SENDPOST_EMAIL_BODY, waitForFinal } from './support/sends.js';
import { spawnWorkerProcess } from './support/worker-process.js';

describe('a worker killed mid-send', () => {
  let suite: Suite;
  let standIn: ProviderStandIn;
  before(async () => {
    suite = await setupSuite('crash');
    standIn = await new ProviderStandIn().start();
  });
  after(async () => {
    await suite.close();
    await standIn.stop();
  });

  it('SIGKILL while the provider call is in flight: after a restart exactly one send arrives', { timeout: 90_000 }, async () => {
    const tenant = await suite.newTenant('Crash');
    await patchSettings(suite, tenant.id, { providers: { email: 'sendpost' }, sendpost: { apiKey: 'crash-key', baseUrl: standIn.baseUrl } });
    // The provider takes its time but does send; the worker dies before it hears back.
    standIn.script('sendpost', { status: 200, delayMs: 3_000 });

    const worker = spawnWorkerProcess(suite);

    const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    assert.equal(response.statusCode, 202);
    const messageId = response.json().messages[0].message_id;
    const deadline = Date.now() + 30_000;
    while (!standIn.requests.some((r) => r.headers['idempotency-key'] === messageId)) {
      assert.ok(Date.now() < deadline, 'the worker process never called the provider');
      await sleep(20);
    }
    worker.child.kill('SIGKILL');
    assert.equal(await worker.exited, 'SIGKILL');

    await suite.startWorker();
    const message = await waitForFinal(suite, tenant.apiKey, messageId, 60_000);
    assert.equal(message.status, 'sent');
    const calls = standIn.requests.filter((r) => r.headers['idempotency-key'] === messageId);
    assert.equal(calls.length, 2, 'the restarted worker called again, with the same idempotency key');
    const delivered = standIn.deliveries.filter((r) => r.headers['idempotency-key'] === messageId);
    assert.equal(delivered.length, 1, 'exactly one send arrived');
    assert.deepEqual(message.events.map((e) => e.type), ['message.processed'], 'one processed event');
  });
});
