// The fileCampaign workflow alone, on the dev server with stand-in activities: how it schedules
// chunks, continues as new, and ends a file whose chunk fails for good.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { FileActivities } from '../activities/files.js';
import { harnessEnv, installTestRuntime } from './support/harness.js';

describe('the fileCampaign workflow', () => {
  const env = harnessEnv();
  let connection: Connection;
  let nativeConnection: NativeConnection;
  let client: Client;
  before(async () => {
    installTestRuntime();
    connection = await Connection.connect({ address: env.TEST_TEMPORAL_ADDRESS });
    nativeConnection = await NativeConnection.connect({ address: env.TEST_TEMPORAL_ADDRESS });
    client = new Client({ connection });
  });
  after(async () => {
    await connection.close();
    await nativeConnection.close();
  });

  /** Runs one fileCampaign to its end on a worker whose file activities are `activities`. */
  async function run(activities: Partial<FileActivities>, input: { chunks: number; historyLimit?: number }) {
    const taskQueue = `file-workflow-${randomBytes(4).toString('hex')}`;
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowBundle: { codePath: env.TEST_WORKFLOW_BUNDLE },
      activities: { loadFile: async () => ({ rejected: false, chunks: input.chunks }), finishFile: async (fileId: string) => ({ id: fileId }), ...activities },
    });
    const workflowId = `file/test/${taskQueue}`;
    return worker.runUntil(async () => {
      const handle = await client.workflow.start('fileCampaign', { taskQueue, workflowId, args: [{ fileId: 'fil_test', historyLimit: input.historyLimit }] });
      const result = await handle.result();
      return { result, description: await handle.describe() };
    });
  }

  it('keeps four chunks in flight, a slow one holding none of the others back, and continues as new on a long history with each chunk sent once', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const { result, description } = await run(
      {
        async sendFileChunk(_fileId: string, chunk: number) {
          started.push(chunk);
          mostInFlight = Math.max(mostInFlight, ++inFlight);
          await sleep(chunk === 0 ? 2_000 : 10);
          inFlight--;
          finished.push(chunk);
        },
      },
      { chunks: 40, historyLimit: 60 },
    );
    assert.deepEqual(result, { id: 'fil_test' });
    assert.deepEqual([...started].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i), 'every chunk sent once, across the runs');
    assert.equal(mostInFlight, 4);
    assert.ok(finished.indexOf(0) >= 6, `chunks kept going while chunk 0 was slow (it ended ${finished.indexOf(0) + 1}th)`);
    assert.notEqual(description.runId, description.raw.workflowExecutionInfo?.firstRunId, 'the run continued as new');
    const history = await client.workflow.getHandle(description.workflowId, description.runId).fetchHistory();
    assert.ok(history.events!.length < 200, `the last run's history stays short (${history.events!.length} events)`);
  });

  it('ends the file through stopFile when a chunk fails for good, after the chunks beside it have ended', async () => {
    const stopped: string[] = [];
    let running = 0;
    let runningAtStop = -1;
    const { result } = await run(
      {
        async sendFileChunk(_fileId: string, chunk: number) {
          running++;
          try {
            if (chunk === 2) throw ApplicationFailure.nonRetryable('the tenant has no default sender', 'NoSender');
            await sleep(300);
          } finally {
            running--;
          }
        },
        async stopFile(_fileId: string, reason: string) {
          runningAtStop = running;
          stopped.push(reason);
        },
      },
      { chunks: 10 },
    );
    assert.deepEqual(result, { rejected: true });
    assert.deepEqual(stopped, ['the tenant has no default sender']);
    assert.equal(runningAtStop, 0, 'no chunk was still sending when the file was stopped');
  });
});
