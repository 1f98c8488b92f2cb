import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { setupSuite, type Suite } from './support/harness.js';
import { SENDPOST_EMAIL_BODY, waitForFinal } from './support/sends.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

describe('signed webhooks from the event outbox', () => {
  let suite: Suite;
  let receiver: WebhookReceiver;
  before(async () => {
    suite = await setupSuite('webhooks', { WEBHOOK_RETRY_SCHEDULE: '200ms,200ms,200ms,200ms,200ms,200ms,200ms', WEBHOOK_TIMEOUT: '2s' });
    receiver = await new WebhookReceiver().start();
    await suite.startWorker();
  });
  after(async () => {
    await suite.close();
    await receiver.stop();
  });

  async function endpoint(key: string, path: string, events?: string[]) {
    const response = await suite.call('POST', '/api/v1/webhooks', { key, body: { url: `${receiver.baseUrl}${path}`, ...(events && { events }) } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json() as { id: string; secret: string };
  }

  it('delivers message.processed within a second, signed so standardwebhooks verifies it, with the Tenant-ID header inside', async () => {
    const tenant = await suite.newTenant('Hooked');
    const hook = await endpoint(tenant.apiKey, '/hooked');
    assert.match(hook.secret, /^whsec_/);
    const sent = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    const messageId = sent.json().messages[0].message_id;
    const message = await waitForFinal(suite, tenant.apiKey, messageId);
    const processedAt = ((await suite.db.query("SELECT created_at FROM events WHERE message_id = $1 AND type = 'message.processed'", [messageId])).rows[0].created_at as Date).getTime();
    const arrived = await until('the delivery', () => receiver.at('/hooked')[0]);
    assert.ok(arrived.at - processedAt < 1_000, `arrived ${arrived.at - processedAt} ms after the event`);
    const verified = new Webhook(hook.secret).verify(arrived.body, {
      'webhook-id': arrived.headers['webhook-id'] as string,
      'webhook-timestamp': arrived.headers['webhook-timestamp'] as string,
      'webhook-signature': arrived.headers['webhook-signature'] as string,
    }) as { type: string; message_id: string; tenant_id: string; headers: Record<string, string> };
    assert.equal(verified.type, 'message.processed');
    assert.equal(verified.message_id, message.id);
    assert.equal(verified.tenant_id, tenant.id);
    assert.equal(verified.headers['Tenant-ID'], 'acme-corp-123');
    assert.throws(() => new Webhook(hook.secret).verify(arrived.body.replace('processed', 'dropped'), arrived.headers as Record<string, string>));
  });

  it('retries 500, 500 and delivers on the third attempt; the attempts are listed with their codes', async () => {
    const tenant = await suite.newTenant('Flaky');
    const hook = await endpoint(tenant.apiKey, '/flaky');
    receiver.script('/flaky', 500, 500, 200);
    await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    await until('three attempts', () => receiver.at('/flaky').length >= 3 || undefined);
    const ids = new Set(receiver.at('/flaky').map((r) => r.headers['webhook-id']));
    assert.equal(ids.size, 1, 'every attempt carries the same webhook-id');
    let listed: any;
    for (let i = 0; i < 50; i++) {
      listed = (await suite.call('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { key: tenant.apiKey })).json().items[0];
      if (listed?.status === 'delivered') break;
      await sleep(50);
    }
    assert.equal(listed.status, 'delivered');
    assert.deepEqual(listed.attempts.map((a: { statusCode: number }) => a.statusCode), [500, 500, 200]);
  });

  it('gives up after 8 attempts, marks the delivery failed, and replays it on request', async () => {
    const tenant = await suite.newTenant('Dead');
    const hook = await endpoint(tenant.apiKey, '/dead');
    receiver.script('/dead', 503, 503, 503, 503, 503, 503, 503, 503);
    await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    let listed: any;
    for (let i = 0; i < 100; i++) {
      listed = (await suite.call('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { key: tenant.apiKey })).json().items[0];
      if (listed?.status === 'failed') break;
      await sleep(100);
    }
    assert.equal(listed.status, 'failed');
    assert.equal(listed.attempts.length, 8);
    assert.equal(receiver.at('/dead').length, 8);

    const replay = await suite.call('POST', `/api/v1/webhooks/deliveries/${listed.id}/replay`, { key: tenant.apiKey });
    assert.equal(replay.statusCode, 202);
    await until('the replayed delivery', () => receiver.at('/dead').length === 9 || undefined);
    for (let i = 0; i < 50; i++) {
      listed = (await suite.call('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { key: tenant.apiKey })).json().items[0];
      if (listed.status === 'delivered') break;
      await sleep(50);
    }
    assert.equal(listed.status, 'delivered');
  });

  it("a black-holed endpoint never delays another tenant's deliveries", async (t) => {
    const slow = await suite.newTenant('BlackHoled');
    const fast = await suite.newTenant('Healthy');
    await endpoint(slow.apiKey, '/black-hole');
    receiver.blackHole('/black-hole');
    await endpoint(fast.apiKey, '/healthy');
    const many = Array.from({ length: 20 }, (_, i) => ({ email: `x${i}@example.com` }));
    await suite.call('POST', '/api/v1/email', { key: slow.apiKey, body: { ...SENDPOST_EMAIL_BODY, to: many } });
    await until('the black hole swallowing requests', () => receiver.at('/black-hole').length >= 8 || undefined);
    const sent = await suite.call('POST', '/api/v1/email', { key: fast.apiKey, body: { ...SENDPOST_EMAIL_BODY, to: many.slice(0, 5) } });
    const ids: string[] = sent.json().messages.map((m: { message_id: string }) => m.message_id);
    for (const id of ids) await waitForFinal(suite, fast.apiKey, id);
    const { rows } = await suite.db.query("SELECT message_id, created_at FROM events WHERE message_id = ANY($1) AND type = 'message.processed'", [ids]);
    await until('every healthy delivery', () => receiver.at('/healthy').length >= 5 || undefined, 5_000);
    // created_at comes back as a Date: its own milliseconds, not Date.parse of its text (which drops them).
    const latencies = rows.map((row) => receiver.at('/healthy').find((r) => JSON.parse(r.body).message_id === row.message_id)!.at - (row.created_at as Date).getTime());
    t.diagnostic(`healthy deliveries, event committed → arrival: ${latencies.join(', ')} ms`);
    for (const [i, row] of rows.entries()) assert.ok(latencies[i]! < 1_000, `${row.message_id} took ${latencies[i]} ms`);
  });

  it('sends only the event types an endpoint asked for', async () => {
    const tenant = await suite.newTenant('Filtered');
    await endpoint(tenant.apiKey, '/only-dropped', ['message.dropped']);
    await suite.call('POST', '/api/v1/suppressions', { key: tenant.apiKey, body: { channel: 'email', value: 'dropme@example.com' } });
    await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, to: [{ email: 'ok@example.com' }, { email: 'dropme@example.com' }] } });
    const arrived = await until('the dropped event', () => receiver.at('/only-dropped')[0]);
    await sleep(500);
    assert.deepEqual(receiver.at('/only-dropped').map((r) => JSON.parse(r.body).type), ['message.dropped']);
    assert.equal(JSON.parse(arrived.body).data.scope, 'account');
  });

  it("keeps each tenant's endpoints and deliveries to itself", async () => {
    const owner = await suite.newTenant('Owner');
    const other = await suite.newTenant('Other');
    const hook = await endpoint(owner.apiKey, '/owner');
    await suite.call('POST', '/api/v1/email', { key: owner.apiKey, body: SENDPOST_EMAIL_BODY });
    await until('a delivery', () => receiver.at('/owner')[0]);
    const delivery = (await suite.call('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { key: owner.apiKey })).json().items[0];
    assert.equal((await suite.call('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { key: other.apiKey })).statusCode, 404);
    assert.equal((await suite.call('POST', `/api/v1/webhooks/deliveries/${delivery.id}/replay`, { key: other.apiKey })).statusCode, 404);
    assert.equal((await suite.call('DELETE', `/api/v1/webhooks/${hook.id}`, { key: other.apiKey })).statusCode, 404);
    assert.deepEqual((await suite.call('GET', '/api/v1/webhooks', { key: other.apiKey })).json().items, []);
  });
});

describe('the event log API', () => {
  let suite: Suite;
  before(async () => {
    suite = await setupSuite('events');
    await suite.startWorker();
  });
  after(() => suite.close());

  it('pages by cursor, resumes after a sequence number, filters, and shows one tenant only', async () => {
    const tenant = await suite.newTenant('Logged');
    const other = await suite.newTenant('Elsewhere');
    await suite.call('POST', '/api/v1/suppressions', { key: tenant.apiKey, body: { channel: 'email', value: 'gone@example.com' } });
    const to = [{ email: 'a@example.com' }, { email: 'gone@example.com' }, { email: 'b@example.com' }, { email: 'c@example.com' }];
    const sent = (await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, to } })).json().messages;
    for (const m of sent) await waitForFinal(suite, tenant.apiKey, m.message_id);
    await suite.call('POST', '/api/v1/email', { key: other.apiKey, body: SENDPOST_EMAIL_BODY });

    const first = (await suite.call('GET', '/api/v1/events?limit=3', { key: tenant.apiKey })).json();
    assert.deepEqual(first.items.map((e: { seq: number }) => e.seq), [4, 3, 2]);
    const second = (await suite.call('GET', `/api/v1/events?limit=3&cursor=${first.next_cursor}`, { key: tenant.apiKey })).json();
    assert.deepEqual(second.items.map((e: { seq: number }) => e.seq), [1]);
    const after = (await suite.call('GET', '/api/v1/events?after=2', { key: tenant.apiKey })).json();
    assert.deepEqual(after.items.map((e: { seq: number }) => e.seq), [3, 4]);
    const dropped = (await suite.call('GET', '/api/v1/events?type=message.dropped', { key: tenant.apiKey })).json();
    assert.equal(dropped.items.length, 1);
    assert.equal(dropped.items[0].message_id, sent[1].message_id);
    const oneMessage = (await suite.call('GET', `/api/v1/events?message_id=${sent[0].message_id}`, { key: tenant.apiKey })).json();
    assert.deepEqual(oneMessage.items.map((e: { type: string }) => e.type), ['message.processed']);
    assert.equal((await suite.call('GET', '/api/v1/events?type=message.bogus', { key: tenant.apiKey })).statusCode, 400);
    const theirs = (await suite.call('GET', '/api/v1/events', { key: other.apiKey })).json();
    assert.ok(theirs.items.every((e: { message_id: string }) => !sent.some((m: { message_id: string }) => m.message_id === e.message_id)));
  });
});
