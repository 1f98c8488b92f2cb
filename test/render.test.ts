import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Handlebars from 'handlebars';
import { composeMessage } from '../core/compose.js';
import type { Message } from '../core/messages.js';
import { normaliseAddress } from '../core/postal-address.js';
import { TemplateRenderer } from '../core/render.js';
import { compileSimple } from '../core/simple-template.js';
import { readUnsubscribeToken, signUnsubscribeToken, verifyUnsubscribeToken } from '../core/unsubscribe.js';

describe('rendering', () => {
  const vars = { name: '<Tom & "J">', a: { b: "O'Neil`=" }, raw: '<b>', n: 0, f: false, z: null, obj: { k: 1 }, arr: [1, '<2>'], s: 'abc', customFields: { x: 'y' } };
  const simple = ['Hello {{name}}!', '<p>{{a.b}} & {{{raw}}} {{&raw}} {{!c}} {{!-- x --}}</p>', '  {{~name~}}  x', 'x {{missing}} {{n}} {{f}} {{z}} {{obj}} {{arr}} {{s.length}} {{a.missing.deeper}}', '{{customFields.x}}'];
  const rich = ['{{#if n}}y{{else}}n{{/if}}', '{{#each arr}}{{@index}}:{{this}} {{/each}}', '{{this.name}}', '{{lookup a "b"}}', '{{constructor}}', '{{__proto__}}'];

  it('gives exactly what Handlebars gives for plain-mustache templates, escaped or not', () => {
    for (const source of simple) {
      for (const escape of [true, false]) {
        const fast = compileSimple(source, escape);
        assert.ok(fast, `${source} takes the fast path`);
        assert.equal(fast(vars), Handlebars.create().compile(source, { noEscape: !escape })(vars), source);
      }
    }
  });

  it('leaves blocks, helpers, this, data and prototype names to Handlebars', () => {
    for (const source of rich) assert.equal(compileSimple(source, true), undefined, source);
    const renderer = new TemplateRenderer();
    const out = renderer.render('ten_a', { cacheKey: 'rich', html: '{{#each arr}}{{@index}}:{{this}} {{/each}}{{#if n}}y{{else}}n{{/if}}' }, vars);
    assert.equal(out.html, '0:1 1:&lt;2&gt; n');
  });

  it('signs unsubscribe tokens that only the tenant secret verifies', () => {
    const token = signUnsubscribeToken({ tenantId: 'ten_1', channel: 'email', recipient: 'a@b.co', campaignId: 'cmp_1' }, 'secret-one');
    assert.ok(verifyUnsubscribeToken(token, 'secret-one'));
    assert.ok(!verifyUnsubscribeToken(token, 'secret-two'));
    assert.deepEqual(readUnsubscribeToken(token), { tenantId: 'ten_1', channel: 'email', recipient: 'a@b.co', campaignId: 'cmp_1' });
    const [payload, mac] = token.split('.');
    const altered = Buffer.from(JSON.stringify({ t: 'ten_1', c: 'email', r: 'z@b.co' })).toString('base64url');
    assert.ok(!verifyUnsubscribeToken(`${altered}.${mac}`, 'secret-one'));
    assert.ok(!verifyUnsubscribeToken(`${payload}.${mac!.slice(0, -1)}`, 'secret-one'));
  });

  it('composes an email with its own unsubscribe link, one-click headers and footer', () => {
    const message = {
      id: 'msg_1', tenantId: 'ten_1', channel: 'email', campaignId: null, recipientKey: 'a@b.co', headers: { 'Tenant-ID': 't' },
      request: { from: { email: 'f@x.co' }, to: { email: 'a@b.co', customFields: { firstName: 'Ann' } }, subject: 'Hi {{firstName}}', htmlBody: '<a href="{{unsubscribe}}">u</a> <<unsubscribe>>' },
    } as unknown as Message;
    const out = composeMessage({ renderer: new TemplateRenderer(), publicUrl: 'https://m.example', unsubscribeSecret: 's', postalAddress: '1 Main St & Co' }, message);
    assert.equal(out.subject, 'Hi Ann');
    const url = /href="([^"]+)"/.exec(out.html)![1]!;
    assert.match(url, /^https:\/\/m\.example\/u\/[\w-]+\.[\w-]{22}$/);
    assert.ok(out.html.includes(`</a> ${url}`), '<<unsubscribe>> is the same link');
    assert.equal(out.headers['List-Unsubscribe'], `<${url}>`);
    assert.equal(out.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
    assert.equal(out.headers['Tenant-ID'], 't');
    assert.match(out.html, /1 Main St &amp; Co<\/p>$/);
  });

  it('normalises two spellings of one postal address to one key', () => {
    const key = normaliseAddress({ address_street: '3 Quiet Lane', address_city: 'Denver', address_state: 'CO', address_zip: '80202-1234' });
    assert.equal(key, normaliseAddress('3 quiet ln., DENVER,  co 80202'));
    assert.equal(key, '3 quiet ln denver co 80202');
    assert.notEqual(key, normaliseAddress('4 Quiet Ln, Denver, CO 80202'));
  });
});
