import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { temporalConnectionOptions, type Config } from '../core/config.js';
import type { Db } from '../core/db.js';
import { createLogger, type Logger } from '../core/logger.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { startFlowRelay, startFlowSignalRelay } from './flow-relay.js';
import { startSendRelay } from './send-relay.js';
import { startWebhookDispatcher } from './webhook-dispatcher.js';
import { workflowBundlePath } from './workflow-bundle.js';

export interface CreateWorkerOptions {
  config: Config;
  db: Db;
  /** Reuse a connection (tests, embedding); otherwise one is opened from the config and closed on shutdown. */
  connection?: NativeConnection;
  /** The client the relays start and signal workflows with (tests, embedding); otherwise one is opened from the config. */
  client?: Client;
  /** Start workflows with the engine's search attributes (default). Off only where a server cannot register them, like the time-skipping test server. */
  searchAttributes?: boolean;
  /** A prebuilt bundle file; otherwise built, or taken from the cache under DATA_DIR. */
  workflowBundlePath?: string;
  taskQueue?: string;
  /** The platform's own provider registry (its adapters beside the built-in ones). */
  providers?: ProviderRegistry;
  logger?: Logger;
}

export interface EngineWorker {
  worker: Worker;
  /** Resolves when the worker has stopped (after `shutdown()`), rejects if it fails. */
  running: Promise<void>;
  /** Stops polling, lets running activities finish within the grace time, then closes what it opened. */
  shutdown(): Promise<void>;
}

/** A worker that runs the engine's workflows and activities on its task queue. */
export async function createWorker(options: CreateWorkerOptions): Promise<EngineWorker> {
  const { config } = options;
  if (!config.DATABASE_URL) throw new Error('createWorker needs config.DATABASE_URL (the send relay listens on it)');
  const ownConnection = !options.connection;
  const { address, apiKey, tls } = temporalConnectionOptions(config);
  const connection = options.connection ?? (await NativeConnection.connect({ address, apiKey, tls }));
  const bundle = options.workflowBundlePath ?? (await workflowBundlePath(path.join(config.dataDir, 'cache')));
  const logger = options.logger ?? createLogger(config.LOG_LEVEL, 'mailflow-worker');
  const taskQueue = options.taskQueue ?? config.TEMPORAL_TASK_QUEUE;
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowBundle: { codePath: bundle },
    activities: createActivities({ config, db: options.db, providers: options.providers }),
    shutdownGraceTime: '10s',
    // Flows sleep for days: a run not in the cache is replayed from history when its timer fires,
    // so the cache bounds the worker's memory, not the number of enrollments it can hold.
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  });
  // Beside every worker: the relays that turn accepted ledger rows into sendMessage workflows and
  // enrollments into flowEnrollment workflows, the one that signals flows their message events and
  // exits, and the webhook dispatcher that delivers the event outbox.
  const clientConnection = options.client ? undefined : await Connection.connect({ address, apiKey, tls });
  const client = options.client ?? new Client({ connection: clientConnection!, namespace: config.TEMPORAL_NAMESPACE });
  const relays = { db: options.db, databaseUrl: config.DATABASE_URL, client, taskQueue, logger, searchAttributes: options.searchAttributes ?? true };
  const relay = startSendRelay(relays);
  const flows = startFlowRelay(relays);
  const flowSignals = startFlowSignalRelay(relays);
  const webhooks = startWebhookDispatcher({
    db: options.db,
    databaseUrl: config.DATABASE_URL,
    logger,
    retrySchedule: config.WEBHOOK_RETRY_SCHEDULE,
    timeoutMs: config.WEBHOOK_TIMEOUT,
  });
  const running = worker.run().finally(async () => {
    await Promise.all([relay.stop(), flows.stop(), flowSignals.stop(), webhooks.stop()]);
    await clientConnection?.close().catch(() => {});
    if (ownConnection) await connection.close().catch(() => {});
  });
  return {
    worker,
    running,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
