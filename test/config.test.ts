import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../core/config.js';

describe('settings from the environment', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 3000);
    assert.equal(config.TEMPORAL_NAMESPACE, 'default');
    assert.equal(config.TEMPORAL_UI_PORT, 8233);
    assert.equal(config.SFTP_POLL_INTERVAL, 30_000);
    assert.deepEqual(config.WEBHOOK_RETRY_SCHEDULE, [60_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 28_800_000, 28_800_000]);
    assert.equal(config.publicUrl, 'http://localhost:3000');
    assert.equal(config.LOG_LEVEL, 'info');
  });

  it('parses durations and lists', () => {
    const config = loadConfig({ SFTP_POLL_INTERVAL: '500ms', WEBHOOK_RETRY_SCHEDULE: '1s, 2m,3h', PUBLIC_URL: 'https://mail.example.com/' });
    assert.equal(config.SFTP_POLL_INTERVAL, 500);
    assert.deepEqual(config.WEBHOOK_RETRY_SCHEDULE, [1000, 120_000, 10_800_000]);
    assert.equal(config.publicUrl, 'https://mail.example.com');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['PORT', 'eighty', /PORT="eighty"/],
    ['PORT', '70000', /PORT="70000"/],
    ['SFTP_POLL_INTERVAL', '30 seconds', /SFTP_POLL_INTERVAL=.*1m or 2h|SFTP_POLL_INTERVAL=.*like 500ms/],
    ['WEBHOOK_RETRY_SCHEDULE', '1m,soon', /WEBHOOK_RETRY_SCHEDULE=.*item 2/],
    ['DATABASE_URL', 'mysql://x@y/z', /DATABASE_URL=.*postgres/],
    ['TEMPORAL_ADDRESS', 'localhost', /TEMPORAL_ADDRESS=.*host:port/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL="loud"/],
    ['PUBLIC_URL', 'ftp://x', /PUBLIC_URL=/],
    ['ADMIN_API_KEY', 'short', /ADMIN_API_KEY=.*24 characters/],
  ];
  for (const [name, value, message] of bad) {
    it(`refuses ${name}=${value}, naming it`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it('names every bad variable at once', () => {
    assert.throws(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' }), /PORT=[\s\S]*LOG_LEVEL=/);
  });

  it('stops `npm start` before it starts anything, with the variable named', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts'], {
      env: { ...process.env, PORT: 'not-a-port', DATA_DIR: '/nonexistent/never-created' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /Invalid settings:[\s\S]*PORT="not-a-port"/);
  });
});
