import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setupSuite, type Suite } from './support/harness.js';
import { mailTenant, POSTALYTICS_SEND_BODY, SENDPOST_EMAIL_BODY, waitForFinal } from './support/sends.js';

/** reference/003's payload, exactly as the document shows it. */
const referencePayload = async () => JSON.parse(await readFile('test/fixtures/sendpost-webhook-event.json', 'utf8'));

describe('inbound provider events', () => {
  let suite: Suite;
  before(async () => {
    suite = await setupSuite('provider_events');
    await suite.startWorker();
  });
  after(() => suite.close());

  async function tenantWithSecret(name: string) {
    const tenant = await suite.newTenant(name);
    const record = (await suite.call('GET', `/api/v1/tenants/${tenant.id}`, { key: suite.adminKey })).json();
    return { ...tenant, sendpostUrl: new URL(record.providerEvents.sendpost).pathname, postalyticsUrl: new URL(record.providerEvents.postalytics).pathname };
  }

  it('turns SendPost types 0–8 into events with their metadata, suppresses on bounce, unsubscribe and spam, and counts an eventID once', async () => {
    const tenant = await tenantWithSecret('Inbound');
    const expected = ['message.processed', 'message.dropped', 'message.delivered', 'message.soft_bounced', 'message.hard_bounced', 'message.opened', 'message.clicked', 'message.unsubscribed', 'message.spam'];
    const suppressing = new Set([4, 7, 8]);
    for (let type = 0; type <= 8; type++) {
      const to = `type${type}@example.com`;
      const sent = (await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, to: [{ email: to }] } })).json().messages[0];
      const message = await waitForFinal(suite, tenant.apiKey, sent.message_id);
      const payload = await referencePayload();
      payload.event.type = type;
      payload.event.eventID = `evt-${type}-${message.id}`;
      payload.event.messageID = message.provider_message_id;
      const first = await suite.call('POST', tenant.sendpostUrl, { body: payload });
      assert.equal(first.statusCode, 200, first.body);
      assert.deepEqual(first.json(), { received: true, duplicate: false, message_id: message.id });
      const again = await suite.call('POST', tenant.sendpostUrl, { body: payload });
      assert.equal(again.json().duplicate, true);

      const events = (await suite.call('GET', `/api/v1/messages/${message.id}`, { key: tenant.apiKey })).json().events;
      const inbound = events.filter((e: { data: { provider_event_id?: string } }) => e.data.provider_event_id === payload.event.eventID);
      assert.equal(inbound.length, 1, `type ${type} recorded once`);
      assert.equal(inbound[0].type, expected[type]);
      assert.equal(inbound[0].headers['Tenant-ID'], 'acme-corp-123', "the message's custom headers ride along");
      assert.equal(inbound[0].data.clickedURL, 'https://hooli.com');
      assert.equal(inbound[0].data.smtpCode, 200);
      assert.equal(inbound[0].data.userAgent.Family, 'Mozilla');
      assert.equal(inbound[0].data.geo.countryCode, 'US');
      const suppressed = (await suite.call('GET', '/api/v1/suppressions', { key: tenant.apiKey })).json().items.some((s: { value: string }) => s.value === to);
      assert.equal(suppressed, suppressing.has(type), `type ${type} suppression`);
    }
  });

  it('acknowledges events for unknown messages and keeps them; a wrong secret is a 404 that changes nothing', async () => {
    const tenant = await tenantWithSecret('Unknown');
    const payload = await referencePayload();
    const response = await suite.call('POST', tenant.sendpostUrl, { body: payload });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { received: true, duplicate: false, message_id: null });
    const kept = await suite.db.query('SELECT count(*)::int AS n FROM provider_events WHERE tenant_id = $1', [tenant.id]);
    assert.equal(kept.rows[0].n, 1);
    const before = (await suite.db.query('SELECT count(*)::int AS n FROM provider_events')).rows[0].n;
    const wrong = await suite.call('POST', '/api/v1/provider-events/sendpost/not-the-secret', { body: { ...payload, event: { ...payload.event, eventID: 'other' } } });
    assert.equal(wrong.statusCode, 404);
    assert.equal((await suite.db.query('SELECT count(*)::int AS n FROM provider_events')).rows[0].n, before);
  });

  it('finds the message by our own header when the provider id is unknown', async () => {
    const tenant = await tenantWithSecret('ByHeader');
    const sent = (await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY })).json().messages[0];
    await waitForFinal(suite, tenant.apiKey, sent.message_id);
    const payload = await referencePayload();
    payload.event.eventID = 'by-header-1';
    payload.emailMessage.headers['X-Mailflow-Message-Id'] = sent.message_id;
    const response = await suite.call('POST', tenant.sendpostUrl, { body: payload });
    assert.equal(response.json().message_id, sent.message_id);
  });

  it('turns Postalytics mail piece codes into mail events, and a return to sender into a mail suppression', async () => {
    const mail = await mailTenant(suite, 'Postal events');
    const record = (await suite.call('GET', `/api/v1/tenants/${mail.id}`, { key: suite.adminKey })).json();
    const url = new URL(record.providerEvents.postalytics).pathname;
    const sent = (await suite.call('POST', `/api/v1/send/${mail.campaignId}`, { key: mail.apiKey, body: POSTALYTICS_SEND_BODY })).json();
    const message = await waitForFinal(suite, mail.apiKey, sent.message_id);
    for (const [eventType, expected] of [[11, 'mail.mailed'], [4, 'mail.in_transit'], [6, 'mail.delivered'], [3, 'mail.returned']] as const) {
      const response = await suite.call('POST', url, { body: { eventType, eventId: `pm-${eventType}`, mailpiece_id: message.provider_message_id } });
      assert.equal(response.statusCode, 200, response.body);
      const events = (await suite.call('GET', `/api/v1/messages/${message.id}`, { key: mail.apiKey })).json().events;
      assert.equal(events[events.length - 1].type, expected);
    }
    const suppressions = (await suite.call('GET', '/api/v1/suppressions?channel=mail', { key: mail.apiKey })).json().items;
    assert.equal(suppressions.length, 1);
    assert.equal(suppressions[0].reason, 'returned to sender');
    const again = await suite.call('POST', `/api/v1/send/${mail.campaignId}`, { key: mail.apiKey, body: POSTALYTICS_SEND_BODY });
    assert.equal((await waitForFinal(suite, mail.apiKey, again.json().message_id)).status, 'dropped');
    assert.equal((await suite.call('POST', url, { body: { eventType: 99 } })).statusCode, 400);
  });
});
