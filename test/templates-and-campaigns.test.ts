import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setupSuite, type Suite } from './support/harness.js';
import { createCampaign, createTemplate, mailTenant, POSTALYTICS_SEND_BODY, SENDPOST_EMAIL_BODY, waitForFinal } from './support/sends.js';

describe('templates, campaigns and the send API refuse what they cannot use', () => {
  let suite: Suite;
  let tenant: Awaited<ReturnType<typeof mailTenant>>;
  let emailTemplateId: string;
  let emailCampaignId: string;
  let other: Awaited<ReturnType<typeof mailTenant>>;
  before(async () => {
    suite = await setupSuite('templates');
    tenant = await mailTenant(suite, 'Own');
    other = await mailTenant(suite, 'Other');
    emailTemplateId = await createTemplate(suite, tenant.apiKey, { name: 'welcome', channel: 'email', subject: 'Hi {{name}}', html: '<p>{{greeting}} {{name}}</p>', text: '{{greeting}} {{name}}' });
    emailCampaignId = await createCampaign(suite, tenant.apiKey, { name: 'Welcome', type: 'triggered', channel: 'email', templateId: emailTemplateId });
  });
  after(() => suite.close());

  it('compiles on save and lists the variables a template uses', async () => {
    const read = (await suite.call('GET', `/api/v1/templates/${emailTemplateId}`, { key: tenant.apiKey })).json();
    assert.deepEqual(read.variables, ['name', 'greeting']);
    assert.equal(read.version, 1);
    const mail = (await suite.call('GET', `/api/v1/templates/${tenant.templateId}`, { key: tenant.apiKey })).json();
    assert.deepEqual(mail.variables, ['first_name', 'last_name', 'var_field_1', 'unsubscribe']);
  });

  it('names the line and column of bad Handlebars syntax', async () => {
    const response = await suite.call('POST', '/api/v1/templates', { key: tenant.apiKey, body: { name: 'broken', channel: 'email', subject: 'ok', html: '<p>\n  Hello {{#if vip}}friend\n</p>' } });
    assert.equal(response.statusCode, 400);
    const { error } = response.json();
    assert.match(error.message, /^body\.html: bad Handlebars syntax at line 3, column \d+/);
    assert.equal(error.details[0].field, 'body.html');
    assert.equal(error.details[0].line, 3);
    const subject = await suite.call('POST', '/api/v1/templates', { key: tenant.apiKey, body: { name: 'broken', channel: 'email', subject: 'Hi {{name', html: 'x' } });
    assert.match(subject.json().error.message, /^body\.subject: bad Handlebars syntax at line 1, column \d+/);
    const mismatch = await suite.call('POST', '/api/v1/templates', { key: tenant.apiKey, body: { name: 'broken', channel: 'mail', html: '{{#if a}}x{{/each}}' } });
    assert.equal(mismatch.statusCode, 400);
    assert.match(mismatch.json().error.message, /line 1/);
  });

  it('previews with given fields, escaping them in html', async () => {
    const response = await suite.call('POST', `/api/v1/templates/${emailTemplateId}/preview`, { key: tenant.apiKey, body: { fields: { name: '<Ann>', greeting: 'Hello' } } });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { subject: 'Hi <Ann>', html: '<p>Hello &lt;Ann&gt;</p>', text: 'Hello <Ann>' });
  });

  it('makes a new version on edit; a message records the version it was rendered with', async () => {
    const templateId = await createTemplate(suite, tenant.apiKey, { name: 'v', channel: 'email', subject: 'One {{name}}', html: '<p>v1</p>' });
    const campaignId = await createCampaign(suite, tenant.apiKey, { name: 'Versioned', type: 'triggered', channel: 'email', templateId });
    await suite.startWorker();
    const body = { from: SENDPOST_EMAIL_BODY.from, to: [{ email: 'v@example.com', customFields: { name: 'Vee' } }], campaign_id: campaignId };
    const first = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body });
    assert.equal(first.statusCode, 202, first.body);
    assert.equal((await waitForFinal(suite, tenant.apiKey, first.json().messages[0].message_id)).template_version, 1);
    const edited = await suite.call('PUT', `/api/v1/templates/${templateId}`, { key: tenant.apiKey, body: { subject: 'Two {{name}}', html: '<p>v2</p>' } });
    assert.equal(edited.json().version, 2);
    const second = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body });
    const message = await waitForFinal(suite, tenant.apiKey, second.json().messages[0].message_id);
    assert.equal(message.template_version, 2);
    const [copy] = (await suite.call('GET', `/api/v1/sandbox/messages?message_id=${message.id}`, { key: tenant.apiKey })).json().items;
    assert.equal(copy.subject, 'Two Vee');
    assert.equal((await suite.call('GET', `/api/v1/templates/${templateId}?version=1`, { key: tenant.apiKey })).json().subject, 'One {{name}}');
  });

  it('saving a changed campaign makes a new version, an unchanged one does not', async () => {
    const id = await createCampaign(suite, tenant.apiKey, { name: 'C', type: 'triggered', channel: 'mail', templateId: tenant.templateId });
    const same = await suite.call('PUT', `/api/v1/campaigns/${id}`, { key: tenant.apiKey, body: { name: 'C', type: 'triggered', channel: 'mail', templateId: tenant.templateId } });
    assert.equal(same.json().version, 1);
    const changed = await suite.call('PUT', `/api/v1/campaigns/${id}`, { key: tenant.apiKey, body: { name: 'C2', type: 'triggered', channel: 'mail', templateId: tenant.templateId } });
    assert.equal(changed.json().version, 2);
  });

  const refusals: Array<{ what: string; request: () => Promise<{ statusCode: number; json(): any }>; status: number; says: RegExp }> = [
    { what: 'an email template without a subject', request: () => suite.call('POST', '/api/v1/templates', { key: tenant.apiKey, body: { name: 'x', channel: 'email', html: '<p/>' } }), status: 400, says: /body\.subject/ },
    { what: 'a mail template with a subject', request: () => suite.call('POST', '/api/v1/templates', { key: tenant.apiKey, body: { name: 'x', channel: 'mail', subject: 's', html: '<p/>' } }), status: 400, says: /body\.subject/ },
    { what: 'a template on an unknown channel', request: () => suite.call('POST', '/api/v1/templates', { key: tenant.apiKey, body: { name: 'x', channel: 'sms', html: '<p/>' } }), status: 400, says: /body\.channel/ },
    { what: 'a campaign with a template of the wrong channel', request: () => suite.call('POST', '/api/v1/campaigns', { key: tenant.apiKey, body: { name: 'x', type: 'triggered', channel: 'mail', templateId: emailTemplateId } }), status: 400, says: /body\.templateId: .* is a email template/ },
    { what: "a campaign with another tenant's template", request: () => suite.call('POST', '/api/v1/campaigns', { key: tenant.apiKey, body: { name: 'x', type: 'triggered', channel: 'mail', templateId: other.templateId } }), status: 400, says: /body\.templateId: .* does not exist/ },
    { what: '/send to an unknown campaign', request: () => suite.call('POST', '/api/v1/send/cmp_nope', { key: tenant.apiKey, body: POSTALYTICS_SEND_BODY }), status: 404, says: /campaign cmp_nope was not found/ },
    { what: "/send to another tenant's campaign", request: () => suite.call('POST', `/api/v1/send/${other.campaignId}`, { key: tenant.apiKey, body: POSTALYTICS_SEND_BODY }), status: 404, says: /was not found/ },
    { what: '/send to an email campaign', request: () => suite.call('POST', `/api/v1/send/${emailCampaignId}`, { key: tenant.apiKey, body: POSTALYTICS_SEND_BODY }), status: 400, says: /campaign_id: .* sends email, not mail/ },
    { what: '/email to a mail campaign', request: () => suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, campaign_id: tenant.campaignId } }), status: 400, says: /sends mail, not email/ },
    { what: '/send without a street', request: () => suite.call('POST', `/api/v1/send/${tenant.campaignId}`, { key: tenant.apiKey, body: { ...POSTALYTICS_SEND_BODY, address_street: '' } }), status: 400, says: /body\.address_street/ },
    { what: '/send with a bad US state', request: () => suite.call('POST', `/api/v1/send/${tenant.campaignId}`, { key: tenant.apiKey, body: { ...POSTALYTICS_SEND_BODY, address_state: 'XX', address_zip: '80202' } }), status: 400, says: /body\.address_state/ },
    { what: '/send with a US state and a foreign postcode', request: () => suite.call('POST', `/api/v1/send/${tenant.campaignId}`, { key: tenant.apiKey, body: { ...POSTALYTICS_SEND_BODY, address_state: 'CO' } }), status: 400, says: /body\.address_zip/ },
    { what: '/send with an unknown field', request: () => suite.call('POST', `/api/v1/send/${tenant.campaignId}`, { key: tenant.apiKey, body: { ...POSTALYTICS_SEND_BODY, shoe_size: '9' } }), status: 400, says: /body\.shoe_size/ },
    { what: '/email without recipients', request: () => suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, to: [] } }), status: 400, says: /body\.to/ },
    { what: '/email with a bad address', request: () => suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, to: [{ email: 'not-an-address' }] } }), status: 400, says: /body\.to\.0\.email/ },
    { what: '/email with bad inline Handlebars', request: () => suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, htmlBody: '<p>{{#each x}}</p>' } }), status: 400, says: /body\.htmlBody: bad Handlebars syntax at line 1/ },
    { what: '/email with a header that smuggles a line break', request: () => suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, headers: { 'X-A': 'b\r\nBcc: victim@example.com' } } }), status: 400, says: /body\.headers/ },
    { what: '/email without from or a default sender', request: () => suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, from: undefined } }), status: 400, says: /body\.from/ },
    { what: '/email without subject or template', request: () => suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, subject: undefined } }), status: 400, says: /body\.subject/ },
    { what: 'a campaign-level suppression without its campaign', request: () => suite.call('POST', '/api/v1/suppressions', { key: tenant.apiKey, body: { channel: 'email', value: 'a@b.co', scope: 'campaign' } }), status: 400, says: /body\.campaign_id/ },
    { what: 'an email suppression that is not an address', request: () => suite.call('POST', '/api/v1/suppressions', { key: tenant.apiKey, body: { channel: 'email', value: 'nobody' } }), status: 400, says: /body\.value/ },
    { what: 'settings with an unknown provider', request: () => suite.call('PATCH', `/api/v1/tenants/${tenant.id}/settings`, { key: tenant.apiKey, body: { providers: { email: 'carrier-pigeon' } } }), status: 400, says: /body\.providers\.email/ },
  ];
  for (const r of refusals) {
    it(`refuses ${r.what}`, async () => {
      const response = await r.request();
      assert.equal(response.statusCode, r.status, JSON.stringify(response.json()));
      assert.match(response.json().error.message, r.says);
    });
  }

  it('nothing was accepted into the ledger by any refused send', async () => {
    const { rows } = await suite.db.query('SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1', [tenant.id]);
    assert.equal(rows[0].n, 2, 'only the two versioned sends');
  });
});
