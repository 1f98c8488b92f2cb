import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { temporalConnectionOptions, type Config } from '../core/config.js';
import type { Db } from '../core/db.js';
import { workflowBundlePath } from './workflow-bundle.js';

export interface CreateWorkerOptions {
  config: Config;
  db: Db;
  /** Reuse a connection (tests, embedding); otherwise one is opened from the config and closed on shutdown. */
  connection?: NativeConnection;
  /** A prebuilt bundle file; otherwise built, or taken from the cache under DATA_DIR. */
  workflowBundlePath?: string;
  taskQueue?: string;
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
  const ownConnection = !options.connection;
  const { address, apiKey, tls } = temporalConnectionOptions(config);
  const connection = options.connection ?? (await NativeConnection.connect({ address, apiKey, tls }));
  const bundle = options.workflowBundlePath ?? (await workflowBundlePath(path.join(config.dataDir, 'cache')));
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: options.taskQueue ?? config.TEMPORAL_TASK_QUEUE,
    workflowBundle: { codePath: bundle },
    activities: createActivities({ config, db: options.db }),
    shutdownGraceTime: '10s',
  });
  const running = worker.run().finally(async () => {
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
