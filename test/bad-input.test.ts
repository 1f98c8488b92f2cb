import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setupSuite, type Suite } from './support/harness.js';

interface BadRequest {
  what: string;
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  key: 'admin' | 'tenant';
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  /** The field the answer must name (in `details[].field`), or a pattern its message must match. */
  names: string | RegExp;
}

describe('bad input: a clear 4xx naming the problem, never a 500', () => {
  let suite: Suite;
  let tenantKey: string;
  before(async () => {
    suite = await setupSuite('badinput', { MAX_BODY_BYTES: '4096' });
    tenantKey = (await suite.newTenant()).apiKey;
  });
  after(() => suite.close());

  const json = { 'content-type': 'application/json' };
  const cases: BadRequest[] = [
    { what: 'malformed JSON', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: '{"name":', headers: json, status: 400, names: /not valid JSON/ },
    { what: 'empty JSON body', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: '', headers: json, status: 400, names: /empty/ },
    { what: 'name of the wrong type', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: { name: 42 }, status: 400, names: 'body.name' },
    { what: 'name missing', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: { companyName: 'x' }, status: 400, names: 'body.name' },
    { what: 'name blank', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: { name: '   ' }, status: 400, names: 'body.name' },
    { what: 'a NUL character in a text field', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: { name: 'a\u0000b' }, status: 400, names: 'body.name' },
    { what: 'unknown field', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: { name: 'a', colour: 'red' }, status: 400, names: 'body.colour' },
    { what: 'companyName null', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: { name: 'a', companyName: null }, status: 400, names: 'body.companyName' },
    { what: 'array instead of object', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: '[1,2]', headers: json, status: 400, names: 'body' },
    { what: 'text/plain body', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: 'name=a', headers: { 'content-type': 'text/plain' }, status: 415, names: /Content-Type: application\/json/ },
    { what: 'XML body', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: '<name>a</name>', headers: { 'content-type': 'application/xml' }, status: 415, names: /JSON/ },
    { what: 'oversized body', method: 'POST', url: '/api/v1/tenants', key: 'admin', body: { name: 'x'.repeat(10_000) }, status: 413, names: /larger than/ },
    { what: 'scopes missing', method: 'POST', url: '/api/v1/keys', key: 'tenant', body: { name: 'k' }, status: 400, names: 'body.scopes' },
    { what: 'unknown scope', method: 'POST', url: '/api/v1/keys', key: 'tenant', body: { name: 'k', scopes: ['send', 'root'] }, status: 400, names: 'body.scopes.1' },
    { what: 'no scopes', method: 'POST', url: '/api/v1/keys', key: 'tenant', body: { name: 'k', scopes: [] }, status: 400, names: 'body.scopes' },
    { what: 'scopes as a string', method: 'POST', url: '/api/v1/keys', key: 'tenant', body: { name: 'k', scopes: 'send' }, status: 400, names: 'body.scopes' },
    { what: 'key name too long', method: 'POST', url: '/api/v1/keys', key: 'tenant', body: { name: 'n'.repeat(201), scopes: ['send'] }, status: 400, names: 'body.name' },
    { what: 'limit zero', method: 'GET', url: '/api/v1/keys?limit=0', key: 'tenant', status: 400, names: 'querystring.limit' },
    { what: 'limit not a number', method: 'GET', url: '/api/v1/keys?limit=lots', key: 'tenant', status: 400, names: 'querystring.limit' },
    { what: 'limit too large', method: 'GET', url: '/api/v1/tenants?limit=5000', key: 'admin', status: 400, names: 'querystring.limit' },
    { what: 'unknown query parameter', method: 'GET', url: '/api/v1/keys?sort=asc', key: 'tenant', status: 400, names: 'querystring.sort' },
    { what: 'id far too long', method: 'DELETE', url: `/api/v1/keys/${'k'.repeat(150)}`, key: 'tenant', status: 400, names: 'params.id' },
  ];

  for (const c of cases) {
    it(`${c.what}: ${c.status}`, async () => {
      const key = c.key === 'admin' ? suite.adminKey : tenantKey;
      const response = await suite.call(c.method, c.url, { key, body: c.body, headers: c.headers });
      assert.equal(response.statusCode, c.status, response.body);
      const { error } = response.json();
      assert.equal(typeof error.code, 'string');
      assert.equal(typeof error.message, 'string');
      if (typeof c.names === 'string') {
        const fields = (error.details ?? []).map((d: { field: string }) => d.field);
        assert.ok(fields.includes(c.names), `expected ${c.names} in ${JSON.stringify(fields)}`);
        assert.ok(error.message.includes(c.names), `the message names ${c.names}: ${error.message}`);
      } else {
        assert.match(error.message, c.names);
      }
    });
  }

  it('has at least 15 distinct cases', () => assert.ok(cases.length >= 15));

  it('a rejected create writes nothing', async () => {
    const before = (await suite.db.query('SELECT count(*)::int AS n FROM tenants')).rows[0].n;
    await suite.call('POST', '/api/v1/tenants', { key: suite.adminKey, body: { name: 'ok', extra: true } });
    const after = (await suite.db.query('SELECT count(*)::int AS n FROM tenants')).rows[0].n;
    assert.equal(after, before);
  });

  it('a malformed URL escape is a 400 in the same error format', async () => {
    const response = await suite.call('DELETE', '/api/v1/keys/%E0%A4%A', { key: tenantKey });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(typeof response.json().error.message, 'string');
  });

  it('unknown routes are a JSON 404', async () => {
    const response = await suite.call('GET', '/api/v1/nothing-here', { key: tenantKey });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error.code, 'not_found');
  });
});
