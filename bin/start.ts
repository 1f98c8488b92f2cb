// `npm start`: the whole engine on its embedded defaults, stopped cleanly by Ctrl-C.
import { createLogger } from '../core/logger.js';
import { launchStack, type Stack } from '../stack/launch.js';
import { quickStart } from '../stack/quick-start.js';
import { onShutdownSignal, settingsOrExit } from './settings.js';

const config = settingsOrExit();
const logger = createLogger(config.LOG_LEVEL);
const started = performance.now();
let stack: Stack;
try {
  stack = await launchStack(config, logger);
} catch (error) {
  console.error(`\nThe stack could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
console.log(quickStart(stack, performance.now() - started));

onShutdownSignal(async (signal) => {
  console.log(`\n${signal}: stopping the API, worker, Temporal, SFTP and Postgres…`);
  await stack.stop();
  console.log('Stopped.');
});
