import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setupSuite, type Suite } from './support/harness.js';
import { ProviderStandIn } from './support/provider-stand-ins.js';
import { mailTenant, patchSettings, POSTALYTICS_SEND_BODY, SENDPOST_EMAIL_BODY, waitForFinal } from './support/sends.js';

describe('triggered sends end to end', () => {
  let suite: Suite;
  let standIn: ProviderStandIn;
  before(async () => {
    suite = await setupSuite('sends', { PUBLIC_URL: 'https://mail.example.test' });
    standIn = await new ProviderStandIn().start();
    await suite.startWorker();
  });
  after(async () => {
    await suite.close();
    await standIn.stop();
  });

  it('sends the Postalytics /send body as written, rendered, to the sandbox', async () => {
    const tenant = await mailTenant(suite);
    const response = await suite.call('POST', `/api/v1/send/${tenant.campaignId}`, { key: tenant.apiKey, body: POSTALYTICS_SEND_BODY });
    assert.equal(response.statusCode, 202, response.body);
    const { message_id, workflow_id } = response.json();
    assert.match(workflow_id, new RegExp(`^send/${tenant.id}/`));
    const message = await waitForFinal(suite, tenant.apiKey, message_id);
    assert.equal(message.status, 'sent');
    assert.equal(message.provider, 'sandbox');
    assert.equal(message.template_version, 1);
    assert.deepEqual(message.events.map((e) => e.type), ['message.processed']);

    const sandbox = (await suite.call('GET', `/api/v1/sandbox/messages?message_id=${message_id}`, { key: tenant.apiKey })).json().items;
    assert.equal(sandbox.length, 1);
    assert.match(sandbox[0].html, /Dear Ada Lovelace,/);
    assert.match(sandbox[0].html, /Plan Upgrade awaits you/);
    assert.match(sandbox[0].html, /Opt out: https:\/\/mail\.example\.test\/u\/[\w-]+\.[\w-]+/);
    assert.equal(sandbox[0].payload.contact.address_zip, 'SW1A 2AA');
  });

  it('accepts the campaign in the body or the query, and refuses a send without one', async () => {
    const tenant = await mailTenant(suite, 'Where');
    const inBody = await suite.call('POST', '/api/v1/send', { key: tenant.apiKey, body: { ...POSTALYTICS_SEND_BODY, campaign_id: tenant.campaignId } });
    assert.equal(inBody.statusCode, 202, inBody.body);
    const inQuery = await suite.call('POST', `/api/v1/send?campaign_id=${tenant.campaignId}`, { key: tenant.apiKey, body: POSTALYTICS_SEND_BODY });
    assert.equal(inQuery.statusCode, 202, inQuery.body);
    const none = await suite.call('POST', '/api/v1/send', { key: tenant.apiKey, body: POSTALYTICS_SEND_BODY });
    assert.equal(none.statusCode, 400);
    assert.match(none.json().error.message, /campaign_id/);
  });

  it('delivers the Postalytics body to the Postalytics stand-in with Basic auth and the campaign endpoint', async () => {
    const tenant = await mailTenant(suite, 'Postal');
    await patchSettings(suite, tenant.id, { providers: { mail: 'postalytics' }, postalytics: { apiKey: 'pk_live_123', baseUrl: standIn.baseUrl } });
    // An existing Postalytics client sends the key as the Basic user name.
    const basic = Buffer.from(`${tenant.apiKey}:`).toString('base64');
    const response = await suite.call('POST', `/api/v1/send/${tenant.campaignId}`, { headers: { authorization: `Basic ${basic}` }, body: POSTALYTICS_SEND_BODY });
    assert.equal(response.statusCode, 202, response.body);
    const message = await waitForFinal(suite, tenant.apiKey, response.json().message_id);
    assert.equal(message.status, 'sent', message.status_reason ?? '');
    assert.match(message.provider_message_id!, /^pm-/);
    const request = standIn.deliveries.find((r) => r.headers['idempotency-key'] === message.id)!;
    assert.equal(request.path, '/api/v1/send/drip-123');
    assert.equal(request.headers.authorization, `Basic ${Buffer.from('pk_live_123:').toString('base64')}`);
    assert.deepEqual(request.body, POSTALYTICS_SEND_BODY);
  });

  it('sends the SendPost example as written: "Welcome John!", headers, pool and groups, to the sandbox and to SendPost', async () => {
    const tenant = await suite.newTenant('Acme');
    const toSandbox = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    assert.equal(toSandbox.statusCode, 202, toSandbox.body);
    const [accepted] = toSandbox.json().messages;
    assert.equal(accepted.to, 'user@example.com');
    const sandboxed = await waitForFinal(suite, tenant.apiKey, accepted.message_id);
    assert.equal(sandboxed.status, 'sent');
    assert.equal(sandboxed.events[0]!.headers['Tenant-ID'], 'acme-corp-123', 'custom headers ride on every event');
    const [copy] = (await suite.call('GET', `/api/v1/sandbox/messages?message_id=${accepted.message_id}`, { key: tenant.apiKey })).json().items;
    assert.equal(copy.subject, 'Welcome John!');
    assert.match(copy.html, /^<p>Hi John, welcome to Acme Corp!<\/p><p><a href='https:\/\/mail\.example\.test\/u\/[\w.-]+'>Unsubscribe<\/a><\/p>$/);
    assert.equal(copy.headers['Tenant-ID'], 'acme-corp-123');
    assert.equal(copy.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
    assert.match(copy.headers['List-Unsubscribe'], /^<https:\/\/mail\.example\.test\/u\/[\w.-]+>$/);
    assert.equal(copy.payload.ippool, 'shared-pool');
    assert.deepEqual(copy.payload.groups, ['transactional', 'welcome']);

    await patchSettings(suite, tenant.id, { providers: { email: 'sendpost' }, sendpost: { apiKey: 'sub_abc', baseUrl: standIn.baseUrl } });
    const viaSendpost = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    const sent = await waitForFinal(suite, tenant.apiKey, viaSendpost.json().messages[0].message_id);
    assert.equal(sent.status, 'sent', sent.status_reason ?? '');
    assert.match(sent.provider_message_id!, /^sp-/);
    const request = standIn.deliveries.find((r) => r.headers['idempotency-key'] === sent.id)!;
    assert.equal(request.path, '/api/v1/subaccount/email/');
    assert.equal(request.headers['x-subaccount-apikey'], 'sub_abc');
    assert.deepEqual(request.body.from, SENDPOST_EMAIL_BODY.from);
    assert.deepEqual(request.body.to, [{ email: 'user@example.com', name: 'John Doe' }]);
    assert.equal(request.body.subject, 'Welcome John!');
    assert.equal(request.body.headers['Tenant-ID'], 'acme-corp-123');
    assert.equal(request.body.headers['Workspace-ID'], 'workspace-456');
    assert.equal(request.body.ippool, 'shared-pool');
    assert.deepEqual(request.body.groups, ['transactional', 'welcome']);
    assert.equal(request.body.trackOpens, true);
    assert.equal(request.body.trackClicks, true);

    const settings = (await suite.call('GET', `/api/v1/tenants/${tenant.id}/settings`, { key: tenant.apiKey })).json();
    assert.equal(settings.sendpost.apiKey, '••••_abc', 'credentials are never shown in clear');
  });

  it('sends one message per recipient, each rendered with its own fields', async () => {
    const tenant = await suite.newTenant('Many');
    const body = { ...SENDPOST_EMAIL_BODY, to: [{ email: 'a@example.com', customFields: { firstName: 'Ann' } }, { email: 'b@example.com', customFields: { firstName: 'Bo' } }] };
    const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body });
    assert.equal(response.statusCode, 202);
    const subjects = [];
    for (const m of response.json().messages) {
      await waitForFinal(suite, tenant.apiKey, m.message_id);
      subjects.push((await suite.call('GET', `/api/v1/sandbox/messages?message_id=${m.message_id}`, { key: tenant.apiKey })).json().items[0].subject);
    }
    assert.deepEqual(subjects, ['Welcome Ann!', 'Welcome Bo!']);
  });

  it('escapes field values in html but not in the subject', async () => {
    const tenant = await suite.newTenant('Escapes');
    const body = { ...SENDPOST_EMAIL_BODY, to: [{ email: 'x@example.com', customFields: { firstName: '<b>Tom & Jerry</b>' } }] };
    const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body });
    const id = response.json().messages[0].message_id;
    await waitForFinal(suite, tenant.apiKey, id);
    const [copy] = (await suite.call('GET', `/api/v1/sandbox/messages?message_id=${id}`, { key: tenant.apiKey })).json().items;
    assert.equal(copy.subject, 'Welcome <b>Tom & Jerry</b>!');
    assert.match(copy.html, /Hi &lt;b&gt;Tom &amp; Jerry&lt;\/b&gt;,/);
  });

  it("adds the tenant's postal address to every email's footer", async () => {
    const tenant = await suite.newTenant('Footer');
    await patchSettings(suite, tenant.id, { postalAddress: 'Acme Corp, 1 Main St, Springfield, IL 62701' });
    const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    const id = response.json().messages[0].message_id;
    await waitForFinal(suite, tenant.apiKey, id);
    const [copy] = (await suite.call('GET', `/api/v1/sandbox/messages?message_id=${id}`, { key: tenant.apiKey })).json().items;
    assert.match(copy.html, /Acme Corp, 1 Main St, Springfield, IL 62701<\/p>$/);
  });
});
