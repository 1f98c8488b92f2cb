import { ConfigError, loadConfig, type Config } from '../core/config.js';

/** The settings for an entry point, or exit 2 with every bad variable named. */
export function settingsOrExit(required: Array<keyof Config> = []): Config {
  try {
    const config = loadConfig();
    const missing = required.filter((name) => !config[name]);
    if (missing.length) throw new ConfigError(missing.map((name) => `${String(name)} is required for this process (the all-in-one \`npm start\` does without it)`));
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits. */
export function onShutdownSignal(stop: (signal: string) => Promise<void>, graceMs = 30_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      console.error(`Shutdown took longer than ${graceMs / 1000} s; exiting anyway.`);
      process.exit(1);
    }, graceMs).unref();
    stop(signal).then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
