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

  before(async () => {
    suite = await setupSuite('isolation');
    owner = await suite.newTenant('Owner');
    intruder = await suite.newTenant('Intruder');
    ownerKeyId = (await suite.call('POST', '/api/v1/keys', { key: owner.apiKey, body: { name: 'extra', scopes: ['send'] } })).json().id;
  });
  after(() => suite.close());

  const routes = (): Array<{ method: 'GET' | 'DELETE' | 'POST' | 'PUT' | 'PATCH'; url: string; body?: unknown }> => [
    { method: 'DELETE', url: `/api/v1/keys/${ownerKeyId}` },
  ];

  it("answers 404 for another tenant's ids on every tenant-scoped route, and changes nothing", async () => {
    for (const route of routes()) {
      const response = await suite.call(route.method, route.url, { key: intruder.apiKey, body: route.body });
      assert.equal(response.statusCode, 404, `${route.method} ${route.url}: ${response.body}`);
      assert.equal(response.json().error.code, 'not_found');
    }
    const { rows } = await suite.db.query('SELECT revoked_at FROM api_keys WHERE id = $1', [ownerKeyId]);
    assert.equal(rows[0].revoked_at, null, "the owner's key is still live");
  });

  it("never lists another tenant's things", async () => {
    const listed = (await suite.call('GET', '/api/v1/keys', { key: intruder.apiKey })).json();
    assert.ok(listed.items.every((k: { id: string }) => k.id !== ownerKeyId));
    assert.equal(listed.items.length, 1);
  });

  it('keeps tenant records for the admin key alone', async () => {
    const response = await suite.call('GET', `/api/v1/tenants/${owner.id}`, { key: intruder.apiKey });
    assert.equal(response.statusCode, 403);
  });
});
