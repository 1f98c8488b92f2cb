import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setupSuite, type Suite } from './support/harness.js';

/**
 * Every route that takes an id of a tenant-owned thing, tried with another tenant's key: each must
 * answer 404, exactly as for an id that does not exist, and change nothing. Later features add rows.
 */
describe('tenant isolation', () => {
  let suite: Suite;
  let owner: { id: string; apiKey: string };
  let intruder: { id: string; apiKey: string };
  let ownerKeyId: string;
  const owned: Record<string, string> = {};

  before(async () => {
    suite = await setupSuite('isolation');
    owner = await suite.newTenant('Owner');
    intruder = await suite.newTenant('Intruder');
    ownerKeyId = (await suite.call('POST', '/api/v1/keys', { key: owner.apiKey, body: { name: 'extra', scopes: ['send'] } })).json().id;
    const create = async (url: string, body: unknown) => {
      const response = await suite.call('POST', url, { key: owner.apiKey, body });
      assert.ok(response.statusCode < 300, response.body);
      return response.json();
    };
    owned.template = (await create('/api/v1/templates', { name: 't', channel: 'email', subject: 's', html: '<p>{{x}}</p>' })).id;
    owned.campaign = (await create('/api/v1/campaigns', { name: 'c', type: 'triggered', channel: 'email', templateId: owned.template })).id;
    owned.suppression = (await create('/api/v1/suppressions', { channel: 'email', value: 'a@example.com' })).id;
    owned.message = (await create('/api/v1/email', { from: { email: 'f@example.com' }, to: [{ email: 'b@example.com' }], campaign_id: owned.campaign })).messages[0].message_id;
  });
  after(() => suite.close());

  const routes = (): Array<{ method: 'GET' | 'DELETE' | 'POST' | 'PUT' | 'PATCH'; url: string; body?: unknown }> => [
    { method: 'DELETE', url: `/api/v1/keys/${ownerKeyId}` },
    { method: 'GET', url: `/api/v1/templates/${owned.template}` },
    { method: 'PUT', url: `/api/v1/templates/${owned.template}`, body: { subject: 'mine now', html: '<p/>' } },
    { method: 'POST', url: `/api/v1/templates/${owned.template}/preview`, body: { fields: {} } },
    { method: 'GET', url: `/api/v1/campaigns/${owned.campaign}` },
    { method: 'PUT', url: `/api/v1/campaigns/${owned.campaign}`, body: { name: 'mine', type: 'triggered', channel: 'email', templateId: owned.template } },
    { method: 'DELETE', url: `/api/v1/suppressions/${owned.suppression}` },
    { method: 'GET', url: `/api/v1/messages/${owned.message}` },
    { method: 'GET', url: `/api/v1/tenants/${owner.id}/settings` },
    { method: 'PATCH', url: `/api/v1/tenants/${owner.id}/settings`, body: { ippool: 'stolen' } },
    { method: 'POST', url: `/api/v1/send/${owned.campaign}`, body: { first_name: 'a', last_name: 'b', address_street: '1 A St', address_city: 'X', address_zip: '1' } },
    { method: 'POST', url: '/api/v1/email', body: { from: { email: 'f@example.com' }, to: [{ email: 'c@example.com' }], campaign_id: owned.campaign } },
  ];

  it("answers 404 for another tenant's ids on every tenant-scoped route, and changes nothing", async () => {
    for (const route of routes()) {
      const response = await suite.call(route.method, route.url, { key: intruder.apiKey, body: route.body });
      assert.equal(response.statusCode, 404, `${route.method} ${route.url}: ${response.body}`);
      assert.equal(response.json().error.code, 'not_found');
    }
    const { rows } = await suite.db.query('SELECT revoked_at FROM api_keys WHERE id = $1', [ownerKeyId]);
    assert.equal(rows[0].revoked_at, null, "the owner's key is still live");
    const template = (await suite.call('GET', `/api/v1/templates/${owned.template}`, { key: owner.apiKey })).json();
    assert.equal(template.version, 1, "the owner's template is unchanged");
    assert.equal((await suite.call('GET', `/api/v1/campaigns/${owned.campaign}`, { key: owner.apiKey })).json().version, 1);
    assert.equal((await suite.call('GET', '/api/v1/suppressions', { key: owner.apiKey })).json().items.length, 1);
    const settings = (await suite.call('GET', `/api/v1/tenants/${owner.id}/settings`, { key: owner.apiKey })).json();
    assert.equal(settings.ippool, undefined);
    const intruderMessages = await suite.db.query('SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1', [intruder.id]);
    assert.equal(intruderMessages.rows[0].n, 0);
  });

  it("never lists another tenant's things", async () => {
    const listed = (await suite.call('GET', '/api/v1/keys', { key: intruder.apiKey })).json();
    assert.ok(listed.items.every((k: { id: string }) => k.id !== ownerKeyId));
    assert.equal(listed.items.length, 1);
    for (const list of ['/api/v1/templates', '/api/v1/campaigns', '/api/v1/suppressions', '/api/v1/sandbox/messages']) {
      assert.deepEqual((await suite.call('GET', list, { key: intruder.apiKey })).json().items, [], list);
    }
  });

  it('keeps tenant records for the admin key alone', async () => {
    const response = await suite.call('GET', `/api/v1/tenants/${owner.id}`, { key: intruder.apiKey });
    assert.equal(response.statusCode, 403);
  });
});
