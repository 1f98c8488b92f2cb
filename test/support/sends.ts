import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Suite } from './harness.js';

/** The exact bodies of the reference documents. */
export const POSTALYTICS_SEND_BODY = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  address_street: '10 Downing St',
  address_city: 'London',
  address_state: '',
  address_zip: 'SW1A 2AA',
  var_field_1: 'Plan Upgrade',
};

export const SENDPOST_EMAIL_BODY = {
  from: { email: 'notifications@mail.acme-corp.com', name: 'Acme Corp' },
  to: [{ email: 'user@example.com', name: 'John Doe', customFields: { firstName: 'John' } }],
  subject: 'Welcome {{firstName}}!',
  htmlBody: "<p>Hi {{firstName}}, welcome to Acme Corp!</p><p><a href='{{unsubscribe}}'>Unsubscribe</a></p>",
  headers: { 'Tenant-ID': 'acme-corp-123', 'Workspace-ID': 'workspace-456' },
  ippool: 'shared-pool',
  trackOpens: true,
  trackClicks: true,
  groups: ['transactional', 'welcome'],
};

export interface MessageView {
  id: string;
  status: string;
  status_reason: string | null;
  provider: string | null;
  provider_message_id: string | null;
  headers: Record<string, string>;
  template_version: number | null;
  events: Array<{ type: string; data: Record<string, unknown>; headers: Record<string, string> }>;
}

/** Polls GET /messages/:id until the message reaches a final status. */
export async function waitForFinal(suite: Suite, key: string, messageId: string, timeoutMs = 30_000): Promise<MessageView> {
  const deadline = Date.now() + timeoutMs;
  let last: MessageView | undefined;
  while (Date.now() < deadline) {
    const response = await suite.call('GET', `/api/v1/messages/${messageId}`, { key });
    assert.equal(response.statusCode, 200, response.body);
    last = response.json() as MessageView;
    if (['sent', 'dropped', 'failed'].includes(last.status)) return last;
    await sleep(100);
  }
  throw new Error(`message ${messageId} did not finish within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

export async function createTemplate(suite: Suite, key: string, body: Record<string, unknown>): Promise<string> {
  const response = await suite.call('POST', '/api/v1/templates', { key, body });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().id;
}

export async function createCampaign(suite: Suite, key: string, body: Record<string, unknown>): Promise<string> {
  const response = await suite.call('POST', '/api/v1/campaigns', { key, body });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().id;
}

export async function patchSettings(suite: Suite, tenantId: string, body: Record<string, unknown>): Promise<void> {
  const response = await suite.call('PATCH', `/api/v1/tenants/${tenantId}/settings`, { key: suite.adminKey, body });
  assert.equal(response.statusCode, 200, response.body);
}

/** A tenant with a mail campaign (template + Postalytics endpoint) ready for /send. */
export async function mailTenant(suite: Suite, name = 'Mailer') {
  const tenant = await suite.newTenant(name);
  const templateId = await createTemplate(suite, tenant.apiKey, {
    name: 'postcard',
    channel: 'mail',
    html: '<div class="postcard"><p>Dear {{first_name}} {{last_name}},</p><p>{{var_field_1}} awaits you.</p><p>Opt out: <<unsubscribe>></p></div>',
  });
  const campaignId = await createCampaign(suite, tenant.apiKey, { name: 'Upgrade drip', type: 'triggered', channel: 'mail', templateId, provider: { postalytics: { endPoint: 'drip-123' } } });
  return { ...tenant, templateId, campaignId };
}
