import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../stack/ports.js';
import { harnessEnv } from './support/harness.js';

/** `npm start` as a user runs it: its own Postgres, Temporal dev server, sshd, worker and API. */
describe('npm start', () => {
  const env = harnessEnv();
  // As root the SFTP endpoint chroots, which needs root-owned parents: /run has them wherever the checkout is.
  const dataDir = os.userInfo().uid === 0 ? `/run/mailflow-test-stack-${process.pid}` : path.join(env.TEST_RUN_DIR, 'stack-data');
  let ports: Record<string, string>;
  const children: ChildProcess[] = [];
  after(async () => {
    children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
    await rm(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts'], {
      env: { ...process.env, ...ports, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ADMIN_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!output.includes('Ctrl-C stops everything')) {
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`npm start did not come up within 60 s:\n${output}`);
      await sleep(100);
    }
    return { child, output: () => output, exited };
  }

  const api = () => `http://127.0.0.1:${ports.PORT}`;

  it('comes up healthy with the Temporal UI, keeps its data across a restart, and stops everything on SIGTERM', async () => {
    ports = {
      PORT: String(await freePort()),
      POSTGRES_PORT: String(await freePort()),
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      SFTP_PORT: String(await freePort()),
    };
    const first = await start();
    const adminKey = /Admin key\s+(\S+)/.exec(first.output())?.[1];
    assert.ok(adminKey, first.output());
    assert.match(first.output(), new RegExp(`sftp -i \\S+ -P ${ports.SFTP_PORT} `));

    const health = await fetch(`${api()}/healthz`);
    assert.equal(health.status, 200, await health.clone().text());
    const ui = await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /<html/i);
    const docs = await fetch(`${api()}/docs/json`);
    assert.equal(docs.status, 200);
    assert.ok(((await docs.json()) as { paths: Record<string, unknown> }).paths['/api/v1/tenants']);

    const created = await fetch(`${api()}/api/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Survives restarts' }),
    });
    assert.equal(created.status, 201);
    const tenant = (await created.json()) as { id: string; apiKey: string };

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.output());
    assert.match(first.output(), /Stopped\./);
    const pids = await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '');
    assert.equal(pids, '', 'Postgres removed its pid file, so it stopped');
    for (const port of [ports.PORT, ports.TEMPORAL_PORT, ports.SFTP_PORT, ports.POSTGRES_PORT]) {
      await assert.rejects(fetch(`http://127.0.0.1:${port}/`), `nothing listens on ${port} any more`);
    }

    const second = await start();
    assert.match(second.output(), new RegExp(`Admin key\\s+${adminKey}`), 'the same admin key');
    const read = await fetch(`${api()}/api/v1/tenants/${tenant.id}`, { headers: { authorization: `Bearer ${adminKey}` } });
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { name: string }).name, 'Survives restarts');
    const keys = await fetch(`${api()}/api/v1/keys`, { headers: { 'x-api-key': tenant.apiKey } });
    assert.equal(keys.status, 200, 'keys made before the restart still work');
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0, second.output());
  });
});
