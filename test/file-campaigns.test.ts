// Automated File Campaigns end to end: files dropped on OpenSSH's sshd (key auth), polled, validated, sent, moved and reported.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import SftpClient from 'ssh2-sftp-client';
import { sampleMailCsv } from './support/csv-samples.js';
import { setupSuite, type Suite } from './support/harness.js';
import { historyToText } from './support/histories.js';
import { createCampaign, createTemplate, patchSettings } from './support/sends.js';

const SAMPLE = 'first_name,last_name,address_street,address_city,address_state,address_zip,var_field_1\nJared,Wong,77 Beacon St,Boston,MA,02108,Renewal Offer\nSandra,Nguyen,22 Harbor Rd,San Diego,CA,92101,Loyalty Bonus\n';

interface FileView {
  id: string;
  sha256: string;
  name: string;
  status: string;
  reason: string | null;
  rows_total: number;
  rows_valid: number;
  rows_invalid: number;
  rows_suppressed: number;
  rows_sent: number;
  errors?: Array<{ row: number; column: string; message: string }>;
}

describe('file campaigns over SFTP', () => {
  let suite: Suite;
  let uploader: SftpClient;
  let privateKey: string;
  before(async () => {
    // Every tenant with an inbox gets a schedule polling it this often, beside the explicit polls.
    suite = await setupSuite('file_campaigns', { SFTP_POLL_INTERVAL: '2s' });
    await suite.startWorker();
    privateKey = await readFile(suite.env.TEST_SFTP_KEY_PATH, 'utf8');
    uploader = new SftpClient();
    await uploader.connect({ host: '127.0.0.1', port: Number(suite.env.TEST_SFTP_PORT), username: suite.env.TEST_SFTP_USER, privateKey });
  });
  after(async () => {
    await uploader.end();
    await suite.close();
  });

  async function fileTenant(name: string) {
    const tenant = await suite.newTenant(name);
    const base = `/afc-${randomBytes(4).toString('hex')}`;
    await uploader.mkdir(`${base}/inbox`, true);
    await patchSettings(suite, tenant.id, { sftp: { host: '127.0.0.1', port: Number(suite.env.TEST_SFTP_PORT), username: suite.env.TEST_SFTP_USER, privateKey, inboxPath: `${base}/inbox` } });
    const templateId = await createTemplate(suite, tenant.apiKey, { name: 'card', channel: 'mail', html: '<p>Dear {{first_name}}, {{var_field_1}}</p>' });
    const campaignId = await createCampaign(suite, tenant.apiKey, { name: 'AFC', type: 'file', channel: 'mail', templateId });
    return { ...tenant, base, campaignId, local: path.join(suite.env.TEST_SFTP_ROOT, base) };
  }
  type FileTenant = Awaited<ReturnType<typeof fileTenant>>;

  const poll = async (t: FileTenant) => {
    const response = await suite.call('POST', '/api/v1/files/poll', { key: t.apiKey });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { files_started: number };
  };
  async function fileNamed(t: FileTenant, name: string, until: (f: FileView) => boolean): Promise<FileView> {
    for (let i = 0; i < 300; i++) {
      const found = ((await suite.call('GET', '/api/v1/files', { key: t.apiKey })).json().items as FileView[]).find((f) => f.name === name && until(f));
      if (found) return (await suite.call('GET', `/api/v1/files/${found.id}`, { key: t.apiKey })).json();
      await sleep(100);
    }
    throw new Error(`no file ${name} got there: ${JSON.stringify((await suite.call('GET', '/api/v1/files', { key: t.apiKey })).json())}`);
  }
  const sandbox = async (t: FileTenant) => (await suite.call('GET', '/api/v1/sandbox/messages?limit=200', { key: t.apiKey })).json().items as Array<{ html: string }>;
  const events = async (t: FileTenant, type: string) => (await suite.call('GET', `/api/v1/events?type=${type}`, { key: t.apiKey })).json().items as Array<{ data: Record<string, unknown> }>;

  it('sends the reference/001 two-row sample, moves the file to processed/ and reports file.processed with the counts', async () => {
    const t = await fileTenant('AFC sample');
    const name = `${t.campaignId}_batch.csv`;
    await uploader.put(Buffer.from(SAMPLE), `${t.base}/inbox/${name}`);
    await poll(t);
    const file = await fileNamed(t, name, (f) => f.status === 'processed');
    assert.deepEqual([file.rows_total, file.rows_valid, file.rows_invalid, file.rows_sent], [2, 2, 0, 2]);
    const pieces = await sandbox(t);
    assert.equal(pieces.length, 2);
    const schedule = await suite.client.schedule.getHandle(`sftp-poll/${t.id}`).describe();
    assert.equal(schedule.spec.intervals?.[0]?.every, 2_000);
    assert.ok(pieces.some((p) => /Dear Jared, Renewal Offer/.test(p.html)));
    assert.deepEqual(await readdir(path.join(t.local, 'processed')), [name]);
    assert.deepEqual(await readdir(path.join(t.local, 'inbox')), []);
    const processed = await events(t, 'file.processed');
    assert.equal(processed.length, 1);
    assert.equal(processed[0]!.data.total, 2);
    assert.equal(processed[0]!.data.valid, 2);
    assert.equal((await events(t, 'file.received')).length, 1);

    // The same bytes again under another name: reported as a duplicate, nothing sent again.
    await uploader.put(Buffer.from(SAMPLE), `${t.base}/inbox/${t.campaignId}_again.csv`);
    assert.equal((await poll(t)).files_started, 0);
    const duplicate = await fileNamed(t, `${t.campaignId}_again.csv`, (f) => f.status === 'duplicate');
    assert.match(duplicate.reason!, /same content/);
    assert.equal((await sandbox(t)).length, 2);
    assert.ok((await readdir(path.join(t.local, 'errors'))).includes(`${t.campaignId}_again.csv`));
  });

  it('sends exactly the valid rows of a messy file, reports the invalid ones by row and column, and counts a suppressed address', async () => {
    const t = await fileTenant('AFC messy');
    const added = await suite.call('POST', '/api/v1/suppressions', { key: t.apiKey, body: { channel: 'mail', value: { address_street: '5 Cedar St', address_city: 'Portland', address_state: 'OR', address_zip: '97201' }, reason: 'moved' } });
    assert.equal(added.statusCode, 201, added.body);
    const name = `${t.campaignId}_messy.csv`;
    const messy =
      '\uFEFFfirst_name,last_name,address_street,address_city,address_state,address_zip,var_field_1\r\n' +
      'José,Müller,"1 Main St, Apt 4",Boston,MA,02108,"Line one\r\nline two"\r\n' +
      'Zoë,Ødegård,2 Elm St,Austin,TX,,Offer\r\n' +
      'Ann,Lee,3 Oak St,Denver,ZZ,80202,Offer\r\n' +
      'Kim,Park,5 Cedar St,Portland,OR,97201,Offer\r\n' +
      '\r\n';
    await uploader.put(Buffer.from(messy), `${t.base}/inbox/${name}`);
    // Two polls at once (and the schedule beside them): the file is claimed once, each row sent once.
    await Promise.all([poll(t), poll(t)]);
    const file = await fileNamed(t, name, (f) => f.status === 'processed');
    assert.deepEqual([file.rows_total, file.rows_valid, file.rows_invalid, file.rows_suppressed, file.rows_sent], [4, 2, 2, 1, 1]);
    assert.deepEqual(file.errors, [
      { row: 3, column: 'address_zip', message: 'is required for a mail piece' },
      { row: 4, column: 'address_state', message: '"ZZ" is not a US state or territory code' },
    ]);
    assert.equal((await sandbox(t)).length, 1);
    const report = await readFile(path.join(t.local, 'processed', `${name}.errors.csv`), 'utf8');
    assert.match(report, /^row,column,message\r\n3,address_zip,is required for a mail piece\r\n4,address_state,"""ZZ"" is not a US state or territory code"\r\n$/);
  });

  it('sends a 2,600-row file in six chunks, a few at once, each valid row once', async () => {
    const t = await fileTenant('AFC chunks');
    await patchSettings(suite, t.id, { rateLimits: { providerPerSecond: 100_000 } });
    const name = `${t.campaignId}_chunks.csv`;
    await uploader.put(Buffer.from(sampleMailCsv(2_600, 100)), `${t.base}/inbox/${name}`);
    await poll(t);
    const file = await fileNamed(t, name, (f) => f.status === 'processed');
    assert.deepEqual([file.rows_total, file.rows_valid, file.rows_invalid, file.rows_sent], [2_600, 2_574, 26, 2_574]);
    const { rows } = await suite.db.query(`SELECT count(*)::int AS pieces, count(DISTINCT m.recipient)::int AS recipients FROM sandbox_messages s JOIN messages m ON m.id = s.message_id WHERE s.tenant_id = $1`, [t.id]);
    assert.deepEqual(rows[0], { pieces: 2_574, recipients: 2_574 });
    const history = await suite.client.workflow.getHandle(`file/${t.id}/${file.sha256}`).fetchHistory();
    const chunks = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendFileChunk').length;
    assert.equal(chunks, 6, 'six chunk activities, rows never in the history');
    // With RECORD_HISTORIES=1, kept for the replay test (test/histories).
    if (process.env.RECORD_HISTORIES === '1') await writeFile(`test/histories/file-campaign-six-chunks${process.env.RECORD_SUFFIX ?? ''}.json`, historyToText(history));
  });

  it('refuses a file missing a required column whole: errors/ with a report, file.failed naming the column', async () => {
    const t = await fileTenant('AFC refused');
    const name = `${t.campaignId}_nozip.csv`;
    await uploader.put(Buffer.from('first_name,last_name,address_street,address_city,address_state\nA,B,1 St,Boston,MA\n'), `${t.base}/inbox/${name}`);
    // No explicit poll: the tenant's schedule finds it.
    const file = await fileNamed(t, name, (f) => f.status === 'failed');
    assert.match(file.reason!, /missing required column: address_zip/);
    assert.deepEqual((await readdir(path.join(t.local, 'errors'))).sort(), [name, `${name}.errors.csv`]);
    assert.match(await readFile(path.join(t.local, 'errors', `${name}.errors.csv`), 'utf8'), /missing required column: address_zip/);
    const failed = await events(t, 'file.failed');
    assert.match(String(failed[0]!.data.reason), /address_zip/);
    assert.equal((await sandbox(t)).length, 0);
  });
});
