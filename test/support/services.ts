// Boots the real services the tests talk to, once per `npm test` run: embedded Postgres, the
// Temporal dev server from the resolved CLI, and OpenSSH's sshd, each on a free loopback port.
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createPool } from '../../core/db.js';
import { migrate } from '../../core/migrate.js';
import { PROJECT_ROOT, resolveTemporalBinary } from '../../stack/binaries.js';
import { freePort } from '../../stack/ports.js';
import { startEmbeddedPostgres } from '../../stack/postgres.js';
import { startSftpEndpoint } from '../../stack/sshd.js';
import { startTemporalDevServer } from '../../stack/temporal-dev-server.js';
import { workflowBundlePath } from '../../worker/workflow-bundle.js';

/** What the suites receive through the environment (see test/support/harness.ts). */
export interface HarnessEnv {
  TEST_DATABASE_TEMPLATE_URL: string;
  TEST_TEMPORAL_ADDRESS: string;
  TEST_WORKFLOW_BUNDLE: string;
  TEST_SFTP_PORT: string;
  TEST_SFTP_USER: string;
  TEST_SFTP_KEY_PATH: string;
  TEST_SFTP_ROOT: string;
  TEST_RUN_DIR: string;
}

export const TEMPLATE_DATABASE = 'mailflow_template';

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await work();
    console.log(`# harness: ${name} ready in ${Math.round(performance.now() - started)} ms`);
    return result;
  } catch (error) {
    throw new Error(`The test harness could not start ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function startServices(): Promise<{ env: HarnessEnv; stop: () => Promise<void> }> {
  // Under the project: Postgres (run as the postgres user) must be able to reach its data directory.
  const runDir = path.join(PROJECT_ROOT, '.cache', `test-run-${process.pid}`);
  await mkdir(runDir, { recursive: true, mode: 0o755 });
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await rm(runDir, { recursive: true, force: true });
  };
  try {
    const [postgres, temporal, sftp, bundle] = await Promise.allSettled([
      step('Postgres', async () => {
        const server = await startEmbeddedPostgres({ dataDir: path.join(runDir, 'postgres'), port: await freePort(), database: TEMPLATE_DATABASE, ephemeral: true });
        stops.push(server.stop);
        const db = createPool(server.url, 2);
        try {
          await migrate(db);
        } finally {
          await db.end();
        }
        return server;
      }),
      step('the Temporal dev server', async () => {
        const server = await startTemporalDevServer({ cli: await resolveTemporalBinary('cli'), dataDir: path.join(runDir, 'temporal'), port: await freePort(), namespace: 'default', inMemory: true });
        stops.push(server.stop);
        return server;
      }),
      step('sshd', async () => {
        // As root sshd chroots, which needs root-owned parents all the way up: /run has them wherever the checkout is.
        const dir = os.userInfo().uid === 0 ? `/run/mailflow-test-sftp-${process.pid}` : path.join(runDir, 'sftp');
        const endpoint = await startSftpEndpoint({ dir, port: await freePort() });
        stops.push(async () => {
          await endpoint.stop();
          await rm(dir, { recursive: true, force: true });
        });
        return endpoint;
      }),
      step('the workflow bundle', () => workflowBundlePath(path.join(PROJECT_ROOT, '.cache', 'workflow-bundles'))),
    ]);
    const failures = [postgres, temporal, sftp, bundle].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length) throw new Error(failures.map((f) => (f.reason as Error).message).join('\n'));
    const ok = <T,>(r: PromiseSettledResult<T>) => (r as PromiseFulfilledResult<T>).value;
    const env: HarnessEnv = {
      TEST_DATABASE_TEMPLATE_URL: ok(postgres).url,
      TEST_TEMPORAL_ADDRESS: ok(temporal).address,
      TEST_WORKFLOW_BUNDLE: ok(bundle),
      TEST_SFTP_PORT: String(ok(sftp).port),
      TEST_SFTP_USER: ok(sftp).username,
      TEST_SFTP_KEY_PATH: ok(sftp).privateKeyPath,
      TEST_SFTP_ROOT: ok(sftp).rootDir,
      TEST_RUN_DIR: runDir,
    };
    return { env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A fresh database cloned from the migrated template, for one suite. */
export async function createSuiteDatabase(templateUrl: string, name: string): Promise<string> {
  const url = new URL(templateUrl);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DATABASE}"`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}
