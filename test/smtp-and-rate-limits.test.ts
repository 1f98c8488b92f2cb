import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { setupSuite, type Suite } from './support/harness.js';
import { ProviderStandIn } from './support/provider-stand-ins.js';
import { patchSettings, SENDPOST_EMAIL_BODY, waitForFinal } from './support/sends.js';

describe('the SMTP provider against a real SMTP server process', () => {
  let suite: Suite;
  let sink: ChildProcess;
  const received: Array<{ to: string[]; raw: string }> = [];
  let port = 0;
  before(async () => {
    suite = await setupSuite('smtp');
    sink = spawn(process.execPath, ['--import', 'tsx', 'test/support/smtp-sink.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve) => {
      createInterface({ input: sink.stdout! }).on('line', (line) => {
        const parsed = JSON.parse(line);
        if (parsed.listening) resolve(parsed.listening);
        else received.push(parsed);
      });
    });
    await suite.startWorker();
  });
  after(async () => {
    sink.kill('SIGTERM');
    await suite.close();
  });

  it('delivers the rendered message with our headers and Message-ID', async () => {
    const tenant = await suite.newTenant('Smtp');
    await patchSettings(suite, tenant.id, { providers: { email: 'smtp' }, smtp: { host: '127.0.0.1', port } });
    const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
    const message = await waitForFinal(suite, tenant.apiKey, response.json().messages[0].message_id);
    assert.equal(message.status, 'sent', message.status_reason ?? '');
    assert.equal(received.length, 1);
    const raw = received[0]!.raw;
    assert.deepEqual(received[0]!.to, ['user@example.com']);
    assert.match(raw, /^Subject: Welcome John!$/m);
    assert.match(raw, /^Tenant-ID: acme-corp-123$/m);
    assert.match(raw, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    assert.match(raw, new RegExp(`^Message-ID: <${message.id}@mail.acme-corp.com>$`, 'm'));
    assert.match(raw, /Hi John, welcome to Acme Corp!/);
  });
});

describe('rate limits', () => {
  let suite: Suite;
  let standIn: ProviderStandIn;
  before(async () => {
    suite = await setupSuite('limits');
    standIn = await new ProviderStandIn().start();
  });
  after(async () => {
    await suite.close();
    await standIn.stop();
  });

  it('holds an API key to its rate: 429 with Retry-After and RateLimit headers past the burst', async () => {
    const tenant = await suite.newTenant('Limited');
    await patchSettings(suite, tenant.id, { rateLimits: { apiPerSecond: 2, apiBurst: 3 } });
    const statuses: number[] = [];
    let refused;
    for (let i = 0; i < 5; i++) {
      const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: SENDPOST_EMAIL_BODY });
      statuses.push(response.statusCode);
      if (response.statusCode === 429) refused ??= response;
      else assert.ok(Number(response.headers['ratelimit-remaining']) >= 0);
    }
    assert.deepEqual(statuses.slice(0, 3), [202, 202, 202], 'the burst passes');
    assert.ok(refused, `a request past the burst is refused: ${statuses}`);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.headers['ratelimit-limit'], '3');
    assert.equal(refused.headers['ratelimit-remaining'], '0');
    assert.match(refused.json().error.message, /limited to 2 requests\/s/);
    // Another key of the same tenant has its own allowance.
    const second = (await suite.call('POST', '/api/v1/keys', { key: tenant.apiKey, body: { name: 'b', scopes: ['send'] } })).json().key;
    assert.equal((await suite.call('POST', '/api/v1/email', { key: second, body: SENDPOST_EMAIL_BODY })).statusCode, 202);
  });

  it("paces provider calls to the tenant's provider rate, across the worker's concurrency", async () => {
    const tenant = await suite.newTenant('Paced');
    await patchSettings(suite, tenant.id, {
      providers: { email: 'sendpost' },
      sendpost: { apiKey: 'paced-key', baseUrl: standIn.baseUrl },
      rateLimits: { providerPerSecond: 10, apiPerSecond: 1000, apiBurst: 1000 },
    });
    const recipients = Array.from({ length: 30 }, (_, i) => ({ email: `r${i}@example.com` }));
    const response = await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, to: recipients } });
    assert.equal(response.statusCode, 202, response.body);
    await suite.startWorker();
    for (const m of response.json().messages) await waitForFinal(suite, tenant.apiKey, m.message_id);
    const times = standIn.requests.filter((r) => r.headers['x-subaccount-apikey'] === 'paced-key').map((r) => r.at).sort((a, b) => a - b);
    assert.equal(times.length, 30);
    const span = times[29]! - times[0]!;
    // 30 calls at 10/s with a burst of 10: the last 20 need at least ~2 s.
    assert.ok(span >= 1_800, `30 calls took ${span} ms; a 10/s limit needs about 2 s`);
    // No one-second window holds more than the burst plus one second's worth.
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + 1_000).length;
      assert.ok(inWindow <= 20, `${inWindow} calls within one second`);
    }
  });
});
