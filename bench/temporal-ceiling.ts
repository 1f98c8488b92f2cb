// The Temporal dev server's own ceiling on this machine: workflow starts per second from a bare
// client (no worker), the number every per-message-workflow design has to be read against.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { PROJECT_ROOT, resolveTemporalBinary } from '../stack/binaries.js';
import { freePort } from '../stack/ports.js';
import { startTemporalDevServer } from '../stack/temporal-dev-server.js';

/** Starts `total` workflows with `concurrency` in flight against `address`; returns starts per second. */
export async function measureStartRate(address: string, total: number, concurrency: number): Promise<number> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = `ceiling-${Date.now()}`;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await client.workflow.start('nothingRunsThis', { taskQueue, workflowId: `${taskQueue}-${i}`, args: [] });
      }
    }),
  );
  const rate = total / ((performance.now() - started) / 1000);
  await connection.close();
  return rate;
}

export async function benchTemporalCeiling(): Promise<void> {
  const dir = path.join(PROJECT_ROOT, '.cache', `bench-ceiling-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const server = await startTemporalDevServer({ cli: await resolveTemporalBinary('cli'), dataDir: dir, port: await freePort(), namespace: 'default' });
  try {
    await measureStartRate(server.address, 200, 16); // warm-up
    for (const concurrency of [16, 64]) {
      const rate = await measureStartRate(server.address, 3000, concurrency);
      console.log(`temporal: dev server workflow starts/s from a bare client (SQLite file, ${concurrency} in flight): ${rate.toFixed(0)}`);
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
