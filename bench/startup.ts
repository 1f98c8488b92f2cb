// Cold start of `npm start` to a healthy /healthz (median of 3), a restart on the same DATA_DIR,
// and the wall time of `npm test`.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../stack/binaries.js';
import { freePort } from '../stack/ports.js';
import { launch, median, seconds, waitForHttp } from './support.js';

async function startOnce(dataDir: string): Promise<{ healthyMs: number; stopMs: number }> {
  const ports = {
    PORT: String(await freePort()),
    POSTGRES_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    SFTP_PORT: String(await freePort()),
  };
  const started = performance.now();
  const stack = launch(process.execPath, ['--import', 'tsx', 'bin/start.ts'], { ...ports, DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  try {
    await waitForHttp(`http://127.0.0.1:${ports.PORT}/healthz`, 60_000);
  } catch (error) {
    stack.child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stack.output()}`);
  }
  const healthyMs = performance.now() - started;
  const stopping = performance.now();
  stack.child.kill('SIGTERM');
  const code = await stack.exited;
  if (code !== 0) throw new Error(`npm start exited ${code} on SIGTERM:\n${stack.output()}`);
  return { healthyMs, stopMs: performance.now() - stopping };
}

export async function benchStartup(): Promise<void> {
  const root = path.join(PROJECT_ROOT, '.cache', `bench-startup-${process.pid}`);
  await mkdir(root, { recursive: true, mode: 0o755 });
  try {
    const cold: number[] = [];
    const stops: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await startOnce(path.join(root, `cold-${i}`));
      cold.push(run.healthyMs);
      stops.push(run.stopMs);
    }
    const warm: number[] = [];
    for (let i = 0; i < 3; i++) warm.push((await startOnce(path.join(root, 'cold-0'))).healthyMs);
    console.log(`startup: cold start to healthy, fresh DATA_DIR (median of 3): ${seconds(median(cold))}  [${cold.map(seconds).join(', ')}]`);
    console.log(`startup: restart to healthy, existing DATA_DIR (median of 3): ${seconds(median(warm))}  [${warm.map(seconds).join(', ')}]`);
    console.log(`startup: clean stop on SIGTERM (median of 3): ${seconds(median(stops))}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function benchTestSuite(): Promise<void> {
  const started = performance.now();
  const run = launch('npm', ['test'], {});
  const code = await run.exited;
  const summary = run.output().split('\n').filter((line) => /^ℹ (tests|pass|fail) /.test(line)).join(', ');
  if (code !== 0) throw new Error(`npm test failed (${code}):\n${run.output().slice(-4000)}`);
  console.log(`tests: npm test wall time: ${seconds(performance.now() - started)}  (${summary})`);
}
