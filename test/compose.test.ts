import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

describe('docker-compose.yml', () => {
  it('parses and names the production services', async () => {
    const compose = parse(await readFile('docker-compose.yml', 'utf8'), { merge: true });
    const services = compose.services as Record<string, { image?: string; build?: string; command?: string[]; deploy?: { replicas?: number }; environment?: Record<string, string> }>;
    for (const name of ['temporal', 'temporal-ui', 'postgres', 'sftp', 'api', 'worker']) assert.ok(services[name], `service ${name}`);
    assert.match(services.temporal!.image!, /^temporalio\/auto-setup/);
    assert.equal(services.temporal!.environment!.DB, 'postgres12', 'Temporal persists to Postgres');
    assert.match(services['temporal-ui']!.image!, /^temporalio\/ui/);
    assert.ok((services.worker!.deploy?.replicas ?? 1) >= 2, 'several workers');
    assert.deepEqual(services.worker!.command!.slice(-1), ['bin/worker.ts']);
    assert.deepEqual(services.api!.command!.slice(-1), ['bin/api.ts']);
    assert.equal(services.api!.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  it('has a Dockerfile the services build from', async () => {
    const dockerfile = await readFile('Dockerfile', 'utf8');
    assert.match(dockerfile, /^FROM node:20/m);
    assert.match(dockerfile, /npm ci/);
  });
});
