import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_ROOT } from '../stack/binaries.js';
import { freePort } from '../stack/ports.js';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Spawns a process with its output kept, for benchmarks that drive the real entry points. */
export function launch(command: string, args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export async function waitForHttp(url: string, timeoutMs: number, ok: (status: number) => boolean = (status) => status === 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (ok(response.status)) return;
    } catch {
      /* not yet listening */
    }
    await sleep(25);
  }
  throw new Error(`${url} was not healthy within ${timeoutMs / 1000} s`);
}

export interface BenchStack {
  base: string;
  ports: { PORT: string; POSTGRES_PORT: string; TEMPORAL_PORT: string; TEMPORAL_UI_PORT: string; SFTP_PORT: string };
  dataDir: string;
  databaseUrl: string;
  temporalAddress: string;
  process: ReturnType<typeof launch>;
  /** The admin key `npm start` printed (once it is up). */
  adminKey(): string;
  /** Stops the stack and removes its data. */
  stop(): Promise<void>;
}

/** `npm start` on free loopback ports with its own throw-away DATA_DIR, as a user would run it. */
export async function launchBenchStack(name: string, env: Record<string, string> = {}): Promise<BenchStack> {
  const dataDir = path.join(PROJECT_ROOT, '.cache', `bench-${name}-${process.pid}`);
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const ports = {
    PORT: String(await freePort()), POSTGRES_PORT: String(await freePort()), TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()), SFTP_PORT: String(await freePort()),
  };
  const stack = launch(process.execPath, ['--import', 'tsx', 'bin/start.ts'], { ...ports, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env });
  return {
    base: `http://127.0.0.1:${ports.PORT}`,
    ports,
    dataDir,
    databaseUrl: `postgres://mailflow:mailflow@127.0.0.1:${ports.POSTGRES_PORT}/mailflow`,
    temporalAddress: `127.0.0.1:${ports.TEMPORAL_PORT}`,
    process: stack,
    adminKey: () => /Admin key\s+(\S+)/.exec(stack.output())![1]!,
    async stop() {
      stack.child.kill('SIGTERM');
      await stack.exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The worker in its own process, as `npm run worker` starts it: V8's heap capped at 256 MB unless
 * BENCH_WORKER_NODE_OPTIONS says otherwise (e.g. `--max-old-space-size=512`).
 */
export function launchBenchWorker(stack: BenchStack, env: Record<string, string> = {}): ReturnType<typeof launch> & { nodeOptions: string } {
  const nodeOptions = process.env.BENCH_WORKER_NODE_OPTIONS ?? '--max-old-space-size=256';
  const worker = launch(process.execPath, ['--import', 'tsx', 'bin/worker.ts'], {
    DATABASE_URL: stack.databaseUrl, TEMPORAL_ADDRESS: stack.temporalAddress, DATA_DIR: stack.dataDir, LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '20',
    NODE_OPTIONS: nodeOptions,
    ...env,
  });
  return { ...worker, nodeOptions };
}

/** One JSON call to the API; a non-2xx answer throws with its body. */
export async function callApi(base: string, key: string, method: string, url: string, body?: unknown): Promise<any> {
  const response = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return JSON.parse(text);
}
