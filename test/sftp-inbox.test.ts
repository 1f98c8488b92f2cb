// A tenant's SFTP inbox against OpenSSH's sshd with key authentication: what is ready, what is still
// being written, what is refused, content hashes, and moving files out with their report.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import SftpClient from 'ssh2-sftp-client';
import { SftpInbox, refusedName } from '../sftp-ingest/inbox.js';
import { harnessEnv } from './support/harness.js';

const SAMPLE = 'first_name,last_name,address_street,address_city,address_state,address_zip,var_field_1\nJared,Wong,77 Beacon St,Boston,MA,02108,Renewal Offer\nSandra,Nguyen,22 Harbor Rd,San Diego,CA,92101,Loyalty Bonus\n';

describe('SFTP inbox', () => {
  const env = harnessEnv();
  const base = `/inbox-test-${randomBytes(3).toString('hex')}`;
  const inboxPath = `${base}/inbox`;
  let uploader: SftpClient;
  let settings: Parameters<typeof SftpInbox.open>[0];
  before(async () => {
    const privateKey = await readFile(env.TEST_SFTP_KEY_PATH, 'utf8');
    settings = { host: '127.0.0.1', port: Number(env.TEST_SFTP_PORT), username: env.TEST_SFTP_USER, privateKey, inboxPath };
    uploader = new SftpClient();
    await uploader.connect({ host: '127.0.0.1', port: Number(env.TEST_SFTP_PORT), username: env.TEST_SFTP_USER, privateKey });
    await uploader.mkdir(`${inboxPath}/cmp_def`, true);
  });
  after(() => uploader.end());

  it('lists ready files with the campaign their name or folder names, hashes them, and leaves dot-files alone', async () => {
    await uploader.put(Buffer.from(SAMPLE), `${inboxPath}/cmp_abc_batch.csv`);
    await uploader.put(Buffer.from(SAMPLE), `${inboxPath}/cmp_def/contacts.csv`);
    await uploader.put(Buffer.from('partial'), `${inboxPath}/.upload.filepart`);
    const inbox = await SftpInbox.open(settings);
    try {
      const listing = await inbox.list(100);
      assert.deepEqual(listing.ready.map((f) => [f.path, f.campaignHint, f.size]).sort(), [
        ['cmp_abc_batch.csv', 'cmp_abc', SAMPLE.length],
        ['cmp_def/contacts.csv', 'cmp_def', SAMPLE.length],
      ]);
      assert.equal(await inbox.sha256('cmp_abc_batch.csv'), createHash('sha256').update(SAMPLE).digest('hex'));
    } finally {
      await inbox.close();
    }
  });

  it('leaves a file whose size changes between two looks for the next poll, and refuses names with control characters', async () => {
    await uploader.put(Buffer.from(SAMPLE), `${inboxPath}/cmp_abc_growing.csv`);
    await uploader.put(Buffer.from(SAMPLE), `${inboxPath}/cmp_abc_bad\u0001name.csv`);
    const inbox = await SftpInbox.open(settings);
    try {
      const local = path.join(env.TEST_SFTP_ROOT, inboxPath, 'cmp_abc_growing.csv');
      const looking = inbox.list(1_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await appendFile(local, 'More,Rows,1 St,Boston,MA,02108,x\n');
      const listing = await looking;
      assert.ok(listing.growing.includes('cmp_abc_growing.csv'), JSON.stringify(listing));
      assert.ok(!listing.ready.some((f) => f.path === 'cmp_abc_growing.csv'));
      assert.deepEqual(listing.refused, [{ path: 'cmp_abc_bad\u0001name.csv', reason: 'the name contains control characters' }]);
      assert.ok((await inbox.list(100)).ready.some((f) => f.path === 'cmp_abc_growing.csv'), 'ready once it stopped growing');
    } finally {
      await inbox.close();
    }
    assert.equal(refusedName('..'), 'the name contains ".."');
    assert.equal(refusedName('a/../../etc/passwd'), 'the name contains ".."');
    assert.equal(refusedName('/etc/passwd'), 'the name contains a path separator');
    assert.equal(refusedName('cmp_1_ok.csv'), undefined);
  });

  it('moves a finished file to processed/ or errors/ beside the inbox with its report, never over another', async () => {
    const inbox = await SftpInbox.open(settings);
    try {
      const first = await inbox.finish('cmp_abc_batch.csv', 'processed', { suffix: '.errors.csv', content: 'row,column,message\n3,address_zip,is required for a mail piece\n' });
      assert.equal(first, `${base}/processed/cmp_abc_batch.csv`);
      await uploader.put(Buffer.from(SAMPLE), `${inboxPath}/cmp_abc_batch.csv`);
      const second = await inbox.finish('cmp_abc_batch.csv', 'processed');
      assert.equal(second, `${base}/processed/1-cmp_abc_batch.csv`);
      await inbox.finish('cmp_def/contacts.csv', 'errors', { suffix: '.errors.csv', content: 'row,column,message\n1,,missing required column: address_zip\n' });
    } finally {
      await inbox.close();
    }
    const root = path.join(env.TEST_SFTP_ROOT, base);
    assert.deepEqual((await readdir(path.join(root, 'processed'))).sort(), ['1-cmp_abc_batch.csv', 'cmp_abc_batch.csv', 'cmp_abc_batch.csv.errors.csv']);
    assert.deepEqual((await readdir(path.join(root, 'errors'))).sort(), ['contacts.csv', 'contacts.csv.errors.csv']);
    assert.match(await readFile(path.join(root, 'processed', 'cmp_abc_batch.csv.errors.csv'), 'utf8'), /3,address_zip,is required/);
    assert.ok(!(await readdir(path.join(root, 'inbox'))).includes('cmp_abc_batch.csv'));
  });
});
