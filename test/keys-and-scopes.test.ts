import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setupSuite, type Suite } from './support/harness.js';

describe('tenants and scoped API keys', () => {
  let suite: Suite;
  before(async () => {
    suite = await setupSuite('keys');
  });
  after(() => suite.close());

  it('creates a tenant with the admin key and shows its first key once', async () => {
    const created = await suite.call('POST', '/api/v1/tenants', { key: suite.adminKey, body: { name: 'Acme', companyName: 'Acme Inc' } });
    assert.equal(created.statusCode, 201);
    const tenant = created.json();
    assert.match(tenant.id, /^ten_/);
    assert.equal(tenant.companyName, 'Acme Inc');
    assert.match(tenant.apiKey, /^mf_/);
    assert.match(tenant.providerEvents.sendpost, new RegExp(`/api/v1/provider-events/sendpost/\\S+$`));

    const read = await suite.call('GET', `/api/v1/tenants/${tenant.id}`, { key: suite.adminKey });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().apiKey, undefined, 'the key is never shown again');
    const list = await suite.call('GET', '/api/v1/tenants', { key: suite.adminKey });
    assert.ok(list.json().items.some((t: { id: string }) => t.id === tenant.id));
  });

  it('stores keys hashed, never in clear', async () => {
    const { apiKey } = await suite.newTenant('Hashed');
    const { rows } = await suite.db.query('SELECT * FROM api_keys');
    assert.ok(rows.length > 0);
    assert.ok(!JSON.stringify(rows).includes(apiKey.slice(3)), 'no row holds the key');
  });

  it('accepts the key as Bearer, X-API-Key and HTTP Basic user name', async () => {
    const { apiKey } = await suite.newTenant();
    const basic = Buffer.from(`${apiKey}:`).toString('base64');
    for (const headers of <Record<string, string>[]>[{ authorization: `Bearer ${apiKey}` }, { 'x-api-key': apiKey }, { authorization: `Basic ${basic}` }]) {
      const response = await suite.call('GET', '/api/v1/keys', { headers });
      assert.equal(response.statusCode, 200, JSON.stringify(headers));
    }
    for (const headers of <Record<string, string>[]>[{}, { authorization: 'Bearer mf_nope' }, { 'x-api-key': 'wrong' }, { authorization: 'Token abc' }]) {
      const response = await suite.call('GET', '/api/v1/keys', { headers });
      assert.equal(response.statusCode, 401, JSON.stringify(headers));
      assert.equal(response.json().error.code, 'unauthorized');
    }
  });

  it('enforces scopes: a key can do only what its scopes allow', async () => {
    const { apiKey } = await suite.newTenant();
    const created = await suite.call('POST', '/api/v1/keys', { key: apiKey, body: { name: 'sender', scopes: ['send'] } });
    assert.equal(created.statusCode, 201);
    const sender = created.json();
    assert.deepEqual(sender.scopes, ['send']);
    assert.match(sender.key, /^mf_/);

    const denied = await suite.call('GET', '/api/v1/keys', { key: sender.key });
    assert.equal(denied.statusCode, 403);
    assert.match(denied.json().error.message, /scope keys/);

    const listed = await suite.call('GET', '/api/v1/keys', { key: apiKey });
    const names = listed.json().items.map((k: { name: string; key?: string }) => {
      assert.equal(k.key, undefined, 'listing never shows a key');
      return k.name;
    });
    assert.deepEqual(names, ['sender', 'default'], 'newest first');
  });

  it('keeps the admin key and tenant keys apart', async () => {
    const { apiKey } = await suite.newTenant();
    const tenantAsAdmin = await suite.call('POST', '/api/v1/tenants', { key: apiKey, body: { name: 'x' } });
    assert.equal(tenantAsAdmin.statusCode, 403);
    const adminAsTenant = await suite.call('GET', '/api/v1/keys', { key: suite.adminKey });
    assert.equal(adminAsTenant.statusCode, 403);
  });

  it('revocation takes effect on the very next request', async () => {
    const { apiKey } = await suite.newTenant();
    const second = (await suite.call('POST', '/api/v1/keys', { key: apiKey, body: { name: 'ops', scopes: ['keys'] } })).json();
    assert.equal((await suite.call('GET', '/api/v1/keys', { key: second.key })).statusCode, 200);
    const revoked = await suite.call('DELETE', `/api/v1/keys/${second.id}`, { key: apiKey });
    assert.equal(revoked.statusCode, 200);
    assert.ok(revoked.json().revokedAt);
    const after = await suite.call('GET', '/api/v1/keys', { key: second.key });
    assert.equal(after.statusCode, 401);
    // A key may revoke itself; that request still succeeds, the next one does not.
    assert.equal((await suite.call('DELETE', `/api/v1/keys/${second.id}`, { key: apiKey })).statusCode, 200);
  });

  it('pages lists by cursor', async () => {
    const { apiKey } = await suite.newTenant();
    for (let i = 0; i < 4; i++) await suite.call('POST', '/api/v1/keys', { key: apiKey, body: { name: `k${i}`, scopes: ['send'] } });
    const first = (await suite.call('GET', '/api/v1/keys?limit=2', { key: apiKey })).json();
    assert.deepEqual(first.items.map((k: { name: string }) => k.name), ['k3', 'k2']);
    const second = (await suite.call('GET', `/api/v1/keys?limit=2&cursor=${first.next_cursor}`, { key: apiKey })).json();
    assert.deepEqual(second.items.map((k: { name: string }) => k.name), ['k1', 'k0']);
  });
});
