// `npm test`: starts the real services once, then runs every suite with Node's own test runner.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../stack/binaries.js';
import { startServices } from './support/services.js';

const started = performance.now();
const requested = process.argv.slice(2);
const files = requested.length
  ? requested
  : readdirSync(path.join(PROJECT_ROOT, 'test'))
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => path.join('test', f));

let services;
try {
  services = await startServices();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=180000', ...files], {
  cwd: PROJECT_ROOT,
  stdio: 'inherit',
  env: { ...process.env, ...services.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
});
const forward = (signal: NodeJS.Signals) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await services.stop();
console.log(`# npm test wall time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);
