// What one test suite gets: its own database cloned from the migrated template, its own task
// queue on the shared Temporal dev server, the API built on them, and a worker on demand.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApi } from '../../api/app.js';
import { generateAdminKey, loadConfig, type Config } from '../../core/config.js';
import { createPool, type Db } from '../../core/db.js';
import { createLogger } from '../../core/logger.js';
import { createWorker, type EngineWorker } from '../../worker/create-worker.js';
import { resolveTemporalBinary } from '../../stack/binaries.js';
import { installTemporalRuntime } from '../../worker/runtime.js';
import type { HarnessEnv } from './services.js';
import { createSuiteDatabase } from './services.js';

export function harnessEnv(): HarnessEnv {
  const required: Array<keyof HarnessEnv> = [
    'TEST_DATABASE_TEMPLATE_URL', 'TEST_TEMPORAL_ADDRESS', 'TEST_WORKFLOW_BUNDLE', 'TEST_SFTP_PORT',
    'TEST_SFTP_USER', 'TEST_SFTP_KEY_PATH', 'TEST_SFTP_ROOT', 'TEST_RUN_DIR',
  ];
  const missing = required.filter((name) => !process.env[name]);
  if (missing.length) {
    throw new Error(`Run the tests with \`npm test\`: it starts Postgres, Temporal and sshd and sets ${missing.join(', ')}`);
  }
  return Object.fromEntries(required.map((name) => [name, process.env[name]!])) as unknown as HarnessEnv;
}

let runtimeInstalled = false;

export interface Suite {
  config: Config;
  db: Db;
  client: Client;
  api: FastifyInstance;
  adminKey: string;
  env: HarnessEnv;
  /** The suite's own time-skipping Temporal test server, when it asked for one. */
  testEnv?: TestWorkflowEnvironment;
  startWorker(overrides?: { taskQueue?: string }): Promise<EngineWorker>;
  /** An HTTP request against the API, with the key sent as a bearer token. */
  call(method: InjectOptions['method'], url: string, options?: { key?: string; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** A new tenant through the admin API, with its all-scopes key. */
  newTenant(name?: string): Promise<{ id: string; apiKey: string }>;
  close(): Promise<void>;
}

export interface SuiteOptions {
  /** `time-skipping`: the suite's API and worker talk to its own Temporal test server, whose timers skip ahead while a test awaits a result. */
  temporal?: 'dev-server' | 'time-skipping';
}

/** The Temporal SDK's runtime, once per test process, logging through the suites' logger (silent unless LOG_LEVEL says). */
export function installTestRuntime(logger = createLogger(process.env.LOG_LEVEL ?? 'silent')): void {
  if (runtimeInstalled) return;
  installTemporalRuntime(logger);
  runtimeInstalled = true;
}

/**
 * The time-skipping test server. The SDK gives it a fixed 5 s to answer on its port, which a
 * machine busy with the suite before can miss: a start that timed out is tried again, twice.
 */
async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const executable = { type: 'existing-path' as const, path: await resolveTemporalBinary('testServer') };
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
    } catch (error) {
      if (attempt >= 3 || !/did not start within/.test((error as Error).message)) throw error;
      console.log(`# harness: the time-skipping test server did not answer within the SDK's 5 s (attempt ${attempt}); starting it again`);
    }
  }
}

export async function setupSuite(label: string, envOverrides: Record<string, string> = {}, options: SuiteOptions = {}): Promise<Suite> {
  const env = harnessEnv();
  const suffix = `${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = await createSuiteDatabase(env.TEST_DATABASE_TEMPLATE_URL, `suite_${suffix}`);
  const adminKey = generateAdminKey();
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: env.TEST_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: `test-${suffix}`,
    ADMIN_API_KEY: adminKey,
    DATA_DIR: `${env.TEST_RUN_DIR}/data-${suffix}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...envOverrides,
  });
  const logger = createLogger(config.LOG_LEVEL);
  installTestRuntime(logger);
  const db = createPool(databaseUrl, 5);
  const timeSkipping =
    options.temporal === 'time-skipping'
      ? await startTimeSkippingServer()
      : undefined;
  const connection = timeSkipping ? undefined : await Connection.connect({ address: env.TEST_TEMPORAL_ADDRESS });
  const client = timeSkipping ? timeSkipping.client : new Client({ connection: connection!, namespace: config.TEMPORAL_NAMESPACE });
  const api = await buildApi({ config, db, temporal: client, logger });
  await api.ready();
  const workers: EngineWorker[] = [];
  let nativeConnection: NativeConnection | undefined;

  const call: Suite['call'] = (method, url, options = {}) =>
    api.inject({
      method,
      url,
      headers: { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}), ...options.headers },
      ...(options.body === undefined ? {} : typeof options.body === 'string' ? { payload: options.body } : { payload: options.body as object }),
    });

  return {
    config,
    db,
    client,
    api,
    adminKey,
    env,
    testEnv: timeSkipping,
    call,
    async startWorker(overrides = {}) {
      // One worker per task queue per connection is all Temporal allows; later calls share it.
      const running = workers.find((w) => w.worker.getState() === 'RUNNING' && w.worker.options.taskQueue === (overrides.taskQueue ?? config.TEMPORAL_TASK_QUEUE));
      if (running) return running;
      nativeConnection ??= timeSkipping ? timeSkipping.nativeConnection : await NativeConnection.connect({ address: env.TEST_TEMPORAL_ADDRESS });
      const worker = await createWorker({
        config: timeSkipping ? { ...config, TEMPORAL_NAMESPACE: timeSkipping.namespace ?? 'default' } : config,
        db,
        connection: nativeConnection,
        workflowBundlePath: env.TEST_WORKFLOW_BUNDLE,
        // The test server cannot register custom search attributes; the dev server suites cover them.
        ...(timeSkipping && { client, searchAttributes: false }),
        ...overrides,
      });
      workers.push(worker);
      return worker;
    },
    async newTenant(name = 'Tenant') {
      const response = await call('POST', '/api/v1/tenants', { key: adminKey, body: { name } });
      if (response.statusCode !== 201) throw new Error(`creating a tenant failed: ${response.statusCode} ${response.body}`);
      const body = response.json() as { id: string; apiKey: string };
      return { id: body.id, apiKey: body.apiKey };
    },
    async close() {
      await Promise.all(workers.map((w) => w.shutdown().catch(() => {})));
      if (!timeSkipping) await nativeConnection?.close();
      await api.close();
      await connection?.close();
      await timeSkipping?.teardown();
      await db.end();
    },
  };
}
