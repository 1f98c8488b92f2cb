import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setupSuite, type Suite } from './support/harness.js';
import { SENDPOST_EMAIL_BODY, waitForFinal } from './support/sends.js';

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads an SSE response, calling `onMessage` for each message until it returns true or the stream ends. */
async function readStream(response: Response, onMessage: (m: SseMessage) => boolean | void): Promise<void> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message: SseMessage = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        else {
          const [field, ...rest] = line.split(': ');
          (message as Record<string, string>)[field!] = rest.join(': ');
        }
      }
      if (onMessage(message)) {
        await reader.cancel();
        return;
      }
    }
  }
}

describe('the live event stream (SSE)', () => {
  let suite: Suite;
  let base: string;
  before(async () => {
    suite = await setupSuite('sse', { SSE_HEARTBEAT: '300ms', SSE_MAX_SESSION: '4s' });
    await suite.api.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(suite.api.server.address() as AddressInfo).port}`;
    await suite.startWorker();
  });
  after(() => suite.close());

  const open = (key: string, headers: Record<string, string> = {}, query = '') =>
    fetch(`${base}/api/v1/events/stream${query}`, { headers: { authorization: `Bearer ${key}`, ...headers } });

  it('resumes after Last-Event-ID with exactly the rest, in order; heartbeats; ends the session in time', async () => {
    const tenant = await suite.newTenant('Streamed');
    const other = await suite.newTenant('Bystander');
    const first = await open(tenant.apiKey);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type')!, /text\/event-stream/);
    const theirs = await open(other.apiKey);

    const to = Array.from({ length: 6 }, (_, i) => ({ email: `s${i}@example.com` }));
    const sent = (await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, to } })).json().messages;
    const got: SseMessage[] = [];
    await readStream(first, (m) => {
      if (m.id) got.push(m);
      return got.length === 3;
    });
    assert.deepEqual(got.map((m) => m.id), ['1', '2', '3']);
    assert.ok(got.every((m) => m.event === 'message.processed' && JSON.parse(m.data!).headers['Tenant-ID'] === 'acme-corp-123'));
    for (const m of sent) await waitForFinal(suite, tenant.apiKey, m.message_id);

    const resumed = await open(tenant.apiKey, { 'last-event-id': '3' });
    const rest: SseMessage[] = [];
    let heartbeats = 0;
    const started = Date.now();
    await readStream(resumed, (m) => {
      if (m.id) rest.push(m);
      if (m.comment === 'heartbeat') heartbeats++;
    });
    const lasted = Date.now() - started;
    assert.deepEqual(rest.map((m) => m.id), ['4', '5', '6'], 'nothing lost, nothing repeated');
    assert.deepEqual(new Set(rest.concat(got).map((m) => JSON.parse(m.data!).message_id)), new Set(sent.map((m: { message_id: string }) => m.message_id)));
    assert.ok(heartbeats >= 3, `${heartbeats} heartbeats`);
    assert.ok(lasted >= 3_500 && lasted < 8_000, `the session lasted ${lasted} ms; SSE_MAX_SESSION is 4 s`);

    const seenByOther: SseMessage[] = [];
    await readStream(theirs, (m) => {
      if (m.id) seenByOther.push(m);
    });
    assert.deepEqual(seenByOther, [], "another tenant's stream sees none of it");
  });

  it('filters by type and refuses a bad Last-Event-ID', async () => {
    const tenant = await suite.newTenant('Filtered stream');
    await suite.call('POST', '/api/v1/suppressions', { key: tenant.apiKey, body: { channel: 'email', value: 'no@example.com' } });
    const stream = await open(tenant.apiKey, {}, '?type=message.dropped');
    await suite.call('POST', '/api/v1/email', { key: tenant.apiKey, body: { ...SENDPOST_EMAIL_BODY, to: [{ email: 'yes@example.com' }, { email: 'no@example.com' }] } });
    const got: SseMessage[] = [];
    await readStream(stream, (m) => {
      if (m.id) got.push(m);
      return got.length === 1;
    });
    assert.equal(got[0]!.event, 'message.dropped');
    assert.equal((await open(tenant.apiKey, { 'last-event-id': 'yesterday' })).status, 400);
    assert.equal((await fetch(`${base}/api/v1/events/stream`)).status, 401);
  });
});

describe('an open event stream and shutdown', () => {
  it('ends when the API closes, instead of holding the shutdown for a whole session', async () => {
    const suite = await setupSuite('sse_close', { SSE_HEARTBEAT: '1s', SSE_MAX_SESSION: '10m' });
    await suite.api.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(suite.api.server.address() as AddressInfo).port}`;
    const tenant = await suite.newTenant('Closing');
    const stream = await fetch(`${base}/api/v1/events/stream`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    const reading = readStream(stream, () => false);
    const started = Date.now();
    await suite.close();
    await reading;
    assert.ok(Date.now() - started < 5_000, `closing took ${Date.now() - started} ms`);
  });
});
