import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setupSuite, type Suite } from './support/harness.js';
import { ProviderStandIn } from './support/provider-stand-ins.js';
import { mailTenant, patchSettings, POSTALYTICS_SEND_BODY, SENDPOST_EMAIL_BODY, waitForFinal } from './support/sends.js';

describe('sends: suppression, idempotency and provider failures', () => {
  let suite: Suite;
  let standIn: ProviderStandIn;
  before(async () => {
    suite = await setupSuite('safety');
    standIn = await new ProviderStandIn().start();
    await suite.startWorker();
  });
  after(async () => {
    await suite.close();
    await standIn.stop();
  });

  async function sendpostTenant(name: string) {
    const tenant = await suite.newTenant(name);
    await patchSettings(suite, tenant.id, { providers: { email: 'sendpost' }, sendpost: { apiKey: `key-${name}`, baseUrl: standIn.baseUrl } });
    return tenant;
  }
  const callsFor = (apiKey: string) => standIn.requests.filter((r) => r.headers['x-subaccount-apikey'] === apiKey);

  it('drops an email suppressed at account level, with the reason, and never calls the provider', async () => {
    const tenant = await sendpostTenant('acct');
    const added = await suite.call('POST', '/api/v1/suppressions', { key: tenant.apiKey, body: { channel: 'email', value: 'USER@example.com ', reason: 'asked by phone' } });
    assert.equal(added.statusCode, 201, added.body);
    const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    const message = await waitForFinal(suite, tenant.apiKey, response.json().messages[0].message_id);
    assert.equal(message.status, 'dropped');
    assert.match(message.status_reason!, /account level: asked by phone/);
    assert.deepEqual(message.events.map((e) => e.type), ['message.dropped']);
    assert.equal(callsFor('key-acct').length, 0);
  });

  it('drops mail suppressed for its campaign only, matching another spelling of the address', async () => {
    const tenant = await mailTenant(suite, 'campaign-level');
    await patchSettings(suite, tenant.id, { providers: { mail: 'postalytics' }, postalytics: { apiKey: 'pk-campaign', baseUrl: standIn.baseUrl } });
    const added = await suite.call('POST', '/api/v1/suppressions', {
      key: tenant.apiKey,
      body: { channel: 'mail', scope: 'campaign', campaign_id: tenant.campaignId, value: '10 downing street, LONDON,  sw1a 2aa', reason: 'moved' },
    });
    assert.equal(added.statusCode, 201, added.body);
    const dropped = await suite.call('POST', `/api/v1/send/${tenant.campaignId}`, { key: tenant.apiKey, body: POSTALYTICS_SEND_BODY });
    const message = await waitForFinal(suite, tenant.apiKey, dropped.json().message_id);
    assert.equal(message.status, 'dropped');
    assert.match(message.status_reason!, /campaign level: moved/);

    // Another campaign of the same tenant still reaches the address.
    const other = await suite.call('POST', '/api/v1/campaigns', { key: tenant.apiKey, body: { name: 'Other', type: 'triggered', channel: 'mail', templateId: tenant.templateId, provider: { postalytics: { endPoint: 'drip-9' } } } });
    const sent = await suite.call('POST', `/api/v1/send/${other.json().id}`, { key: tenant.apiKey, body: POSTALYTICS_SEND_BODY });
    assert.equal((await waitForFinal(suite, tenant.apiKey, sent.json().message_id)).status, 'sent');
    const pieces = standIn.requests.filter((r) => r.headers.authorization === `Basic ${Buffer.from('pk-campaign:').toString('base64')}`);
    assert.deepEqual(pieces.map((r) => r.path), ['/api/v1/send/drip-9']);
  });

  it('unsubscribing through /u/:token drops the next send, and a forged token changes nothing', async () => {
    const tenant = await sendpostTenant('unsub');
    const first = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    const firstId = first.json().messages[0].message_id;
    assert.equal((await waitForFinal(suite, tenant.apiKey, firstId)).status, 'sent');
    const sentBody = callsFor('key-unsub')[0]!.body;
    const link = /href='([^']+)'/.exec(sentBody.htmlBody)![1]!;
    const token = new URL(link).pathname.split('/').pop()!;

    const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    const refused = await suite.call('GET', `/u/${forged}`);
    assert.equal(refused.statusCode, 400);
    const otherRecipient = Buffer.from(JSON.stringify({ t: tenant.id, c: 'email', r: 'someone@else.com' })).toString('base64url') + '.' + token.split('.')[1];
    assert.equal((await suite.call('POST', `/u/${otherRecipient}`)).statusCode, 400);
    assert.equal((await suite.call('GET', '/api/v1/suppressions', { key: tenant.apiKey })).json().items.length, 0, 'nothing suppressed by forged tokens');

    // RFC 8058 one-click: a form POST to the List-Unsubscribe URL.
    const unsubscribed = await suite.call('POST', `/u/${token}`, { body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(unsubscribed.statusCode, 200, unsubscribed.body);
    assert.match(unsubscribed.body, /user@example.com is now unsubscribed/);
    assert.match((await suite.call('GET', `/u/${token}`)).body, /was already unsubscribed/);

    const second = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    const message = await waitForFinal(suite, tenant.apiKey, second.json().messages[0].message_id);
    assert.equal(message.status, 'dropped');
    assert.match(message.status_reason!, /unsubscribed/);
    assert.equal(callsFor('key-unsub').length, 1, 'only the first message reached the provider');
    const { rows } = await suite.db.query("SELECT count(*)::int AS n FROM events WHERE tenant_id = $1 AND type = 'message.unsubscribed'", [tenant.id]);
    assert.equal(rows[0].n, 1);
  });

  it('the same Idempotency-Key twice: the same ids and one provider call; with another body, a 409', async () => {
    const tenant = await sendpostTenant('idem');
    const headers = { 'idempotency-key': 'order-42-welcome' };
    const first = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY, headers });
    const again = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY, headers });
    assert.equal(first.statusCode, 202);
    assert.equal(again.statusCode, 202);
    assert.deepEqual(again.json(), first.json());
    await waitForFinal(suite, tenant.apiKey, first.json().messages[0].message_id);
    const different = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, subject: 'Other' }, headers });
    assert.equal(different.statusCode, 409);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(callsFor('key-idem').length, 1);
  });

  it('retries a provider answering 503 three times, then delivers once', async () => {
    const tenant = await sendpostTenant('flaky');
    standIn.script('sendpost', { status: 503 }, { status: 503 }, { status: 503 });
    const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    const message = await waitForFinal(suite, tenant.apiKey, response.json().messages[0].message_id);
    assert.equal(message.status, 'sent');
    assert.deepEqual(callsFor('key-flaky').map((r) => r.answered), [503, 503, 503, 200]);
    assert.equal(standIn.deliveries.filter((r) => r.headers['x-subaccount-apikey'] === 'key-flaky').length, 1);
  });

  it("fails a message the provider refuses with 400, with the provider's reason", async () => {
    const tenant = await sendpostTenant('refused');
    standIn.script('sendpost', { status: 400, body: { error: 'from domain not verified' } });
    const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    const message = await waitForFinal(suite, tenant.apiKey, response.json().messages[0].message_id);
    assert.equal(message.status, 'failed');
    assert.match(message.status_reason!, /sendpost answered 400: .*from domain not verified/);
    assert.deepEqual(message.events.map((e) => e.type), ['message.failed']);
    assert.equal(callsFor('key-refused').length, 1, 'no retry of a refusal');
  });

  it('waits as long as a 429 Retry-After asks before trying again', async () => {
    const tenant = await sendpostTenant('throttled');
    standIn.script('sendpost', { status: 429, headers: { 'retry-after': '3' } });
    const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    const message = await waitForFinal(suite, tenant.apiKey, response.json().messages[0].message_id);
    assert.equal(message.status, 'sent');
    const [throttled, retried] = callsFor('key-throttled');
    assert.equal(throttled!.answered, 429);
    const waited = retried!.at - throttled!.at;
    assert.ok(waited >= 2_900, `waited ${waited} ms, asked for 3000`);
    assert.ok(waited < 8_000, `waited ${waited} ms, far more than asked`);
  });
});
