// A 20,000-row file campaign through the worst a deployment does to it: two worker processes poll
// at once, both are killed with SIGKILL halfway through the sends, and a new one is started.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import SftpClient from 'ssh2-sftp-client';
import { sampleMailCsv, sampleStreet } from './support/csv-samples.js';
import { setupSuite, type Suite } from './support/harness.js';
import { ProviderStandIn } from './support/provider-stand-ins.js';
import { createCampaign, createTemplate, patchSettings } from './support/sends.js';
import { spawnWorkerProcess, type WorkerProcess } from './support/worker-process.js';

const ROWS = 20_000;
const INVALID_EVERY = 100; // rows 0, 100, 200, ... have no zip

describe('a file campaign through worker crashes', () => {
  let suite: Suite;
  let standIn: ProviderStandIn;
  const workers: WorkerProcess[] = [];
  before(async () => {
    suite = await setupSuite('file_crash', { SFTP_POLL_INTERVAL: '1h' });
    standIn = await new ProviderStandIn().start();
  });
  after(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await standIn.stop();
    await suite.close();
  });

  async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      assert.ok(Date.now() < deadline, `${what} did not happen within ${timeoutMs} ms (${standIn.deliveries.length} pieces at the provider)`);
      await sleep(50);
    }
  }

  it('two workers killed halfway through a 20,000-row file, one started again: every valid row reaches the provider exactly once and the counts add up', { timeout: 170_000 }, async (t) => {
    const tenant = await suite.newTenant('File crash');
    const privateKey = await readFile(suite.env.TEST_SFTP_KEY_PATH, 'utf8');
    const base = `/crash-${randomBytes(4).toString('hex')}`;
    const uploader = new SftpClient();
    await uploader.connect({ host: '127.0.0.1', port: Number(suite.env.TEST_SFTP_PORT), username: suite.env.TEST_SFTP_USER, privateKey });
    await uploader.mkdir(`${base}/inbox`, true);
    await patchSettings(suite, tenant.id, {
      sftp: { host: '127.0.0.1', port: Number(suite.env.TEST_SFTP_PORT), username: suite.env.TEST_SFTP_USER, privateKey, inboxPath: `${base}/inbox` },
      providers: { mail: 'postalytics' },
      postalytics: { apiKey: 'crash-key', baseUrl: standIn.baseUrl },
      rateLimits: { providerPerSecond: 100_000 },
    });
    const templateId = await createTemplate(suite, tenant.apiKey, { name: 'card', channel: 'mail', html: '<p>Dear {{first_name}}, {{var_field_1}}</p>' });
    const campaignId = await createCampaign(suite, tenant.apiKey, { name: 'Crash', type: 'file', channel: 'mail', templateId, provider: { postalytics: { endPoint: 'crash-drip' } } });

    workers.push(spawnWorkerProcess(suite), spawnWorkerProcess(suite));
    const name = `${campaignId}_big.csv`;
    await uploader.put(Buffer.from(sampleMailCsv(ROWS, INVALID_EVERY)), `${base}/inbox/${name}`);
    await uploader.end();
    // Two polls at once, each run by whichever worker takes it: the file is claimed once.
    const polls = await Promise.all([1, 2].map(() => suite.call('POST', '/api/v1/files/poll', { key: tenant.apiKey })));
    assert.deepEqual(polls.map((p) => p.statusCode), [200, 200]);

    const validRows = ROWS - Math.ceil(ROWS / INVALID_EVERY);
    await waitFor('half the valid rows sent', 90_000, () => (standIn.deliveries.length >= validRows / 2 ? true : undefined));
    for (const w of workers) w.child.kill('SIGKILL');
    assert.deepEqual(await Promise.all(workers.map((w) => w.exited)), ['SIGKILL', 'SIGKILL']);
    const atKill = standIn.deliveries.length;
    assert.ok(atKill < validRows, `the workers were killed before the file was done (${atKill} of ${validRows} sent)`);
    // The file's counts follow the chunks as they end.
    const running = ((await suite.call('GET', '/api/v1/files', { key: tenant.apiKey })).json().items as Array<Record<string, any>>).find((f) => f.name === name)!;
    assert.equal(running.status, 'sending');
    assert.ok(running.rows_sent > 0 && running.rows_sent <= atKill, `rows_sent ${running.rows_sent} shows the progress (${atKill} at the provider)`);

    workers.push(spawnWorkerProcess(suite));
    const file = await waitFor('the file processed after the restart', 120_000, async () => {
      const items = (await suite.call('GET', '/api/v1/files', { key: tenant.apiKey })).json().items as Array<Record<string, any>>;
      return items.find((f) => f.name === name && f.status === 'processed');
    });
    t.diagnostic(`killed at ${atKill} of ${validRows} pieces; ${standIn.requests.length - standIn.deliveries.length} calls repeated after the crash were answered from the provider's idempotency record`);

    // Every valid row at the provider exactly once; no invalid row.
    const keys = standIn.deliveries.map((d) => d.headers['idempotency-key']);
    assert.equal(standIn.deliveries.length, validRows);
    assert.equal(new Set(keys).size, validRows, 'one piece per message');
    const streets = standIn.deliveries.map((d) => d.body.address_street as string).sort();
    const expected = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % INVALID_EVERY !== 0).map(sampleStreet).sort();
    assert.deepEqual(streets, expected, 'exactly the valid rows, each once');
    assert.ok(standIn.deliveries.every((d) => d.path === '/api/v1/send/crash-drip'));

    // The counts add up, in the file, its one file.processed event and the ledger.
    assert.deepEqual(
      [file.rows_total, file.rows_valid, file.rows_invalid, file.rows_suppressed, file.rows_sent, file.rows_failed],
      [ROWS, validRows, ROWS - validRows, 0, validRows, 0],
    );
    const { rows: events } = await suite.db.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM events WHERE tenant_id = $1 AND type IN ('file.received', 'file.processed', 'message.processed', 'message.failed') GROUP BY type ORDER BY type`,
      [tenant.id],
    );
    assert.deepEqual(events, [
      { type: 'file.processed', n: 1 },
      { type: 'file.received', n: 1 },
      { type: 'message.processed', n: validRows },
    ]);
    const { rows: processed } = await suite.db.query(`SELECT data FROM events WHERE tenant_id = $1 AND type = 'file.processed'`, [tenant.id]);
    assert.deepEqual(
      [processed[0].data.total, processed[0].data.valid, processed[0].data.invalid, processed[0].data.sent],
      [ROWS, validRows, ROWS - validRows, validRows],
    );
    const { rows: ledger } = await suite.db.query(`SELECT status, count(*)::int AS n FROM messages WHERE tenant_id = $1 GROUP BY status`, [tenant.id]);
    assert.deepEqual(ledger, [{ status: 'sent', n: validRows }]);

    // The file in processed/ with its report of the invalid rows (spreadsheet rows: the header is row 1).
    const local = path.join(suite.env.TEST_SFTP_ROOT, base);
    assert.deepEqual((await readdir(path.join(local, 'processed'))).sort(), [name, `${name}.errors.csv`]);
    const report = (await readFile(path.join(local, 'processed', `${name}.errors.csv`), 'utf8')).trimEnd().split('\r\n');
    assert.equal(report.length, 1 + ROWS - validRows);
    assert.equal(report[1], '2,address_zip,is required for a mail piece');
  });
});
