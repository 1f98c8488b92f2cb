import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import SftpClient from 'ssh2-sftp-client';
import { harnessEnv } from './support/harness.js';

describe("the harness's OpenSSH sshd", () => {
  it('accepts its throw-away key and stores what is uploaded', async () => {
    const env = harnessEnv();
    const sftp = new SftpClient();
    await sftp.connect({ host: '127.0.0.1', port: Number(env.TEST_SFTP_PORT), username: env.TEST_SFTP_USER, privateKey: await readFile(env.TEST_SFTP_KEY_PATH) });
    try {
      await sftp.mkdir('/probe/inbox', true);
      await sftp.put(Buffer.from('first_name,last_name\nJane,Doe\n'), '/probe/inbox/sample.csv');
      const listed = await sftp.list('/probe/inbox');
      assert.deepEqual(listed.map((f) => f.name), ['sample.csv']);
      assert.equal(await readFile(path.join(env.TEST_SFTP_ROOT, 'probe/inbox/sample.csv'), 'utf8'), 'first_name,last_name\nJane,Doe\n');
    } finally {
      await sftp.end();
    }
  });

  it('refuses a key it does not know', async () => {
    const env = harnessEnv();
    const { generateKeyPairSync } = await import('node:crypto');
    const stranger = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const sftp = new SftpClient();
    await assert.rejects(
      sftp.connect({ host: '127.0.0.1', port: Number(env.TEST_SFTP_PORT), username: env.TEST_SFTP_USER, privateKey: stranger, retries: 0 }),
      /authentication|All configured authentication methods failed|Cannot parse privateKey/i,
    );
  });
});
