// A worker in its own process (`bin/worker.ts`, as `npm run worker` runs it) on a suite's task
// queue, for the tests that kill one with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Suite } from './harness.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with the signal that ended the process (null when it exited by itself). */
  exited: Promise<NodeJS.Signals | null>;
}

export function spawnWorkerProcess(suite: Suite): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/worker.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: suite.config.DATABASE_URL,
      TEMPORAL_ADDRESS: suite.config.TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: suite.config.TEMPORAL_TASK_QUEUE,
      DATA_DIR: suite.config.dataDir,
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, exited: new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal))) };
}
