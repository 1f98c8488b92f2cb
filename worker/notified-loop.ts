import pg from 'pg';
import type { Logger } from '../core/logger.js';

export interface NotifiedLoop {
  /** Ends the current wait at once (work arrived from inside this process). */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Runs `pass` over and over: straight again when it says more work is waiting, otherwise after a
 * NOTIFY on `channel` or `idleMs`, whichever comes first. The poll is the safety net that makes a
 * lost notification (or a lost LISTEN connection) cost latency, never work.
 */
export function startNotifiedLoop(options: { name: string; databaseUrl: string; channel: string; idleMs: number; logger: Logger; pass: () => Promise<boolean> }): NotifiedLoop {
  const { name, logger } = options;
  let running = true;
  let wake: (() => void) | undefined;
  // A wake-up that comes while a pass runs may be about rows that pass did not see: run again at once.
  let wokenDuringPass = false;
  const nudge = () => {
    if (wake) wake();
    else wokenDuringPass = true;
  };
  const listener = new pg.Client({ connectionString: options.databaseUrl });
  listener.on('notification', nudge);
  listener.on('error', (error) => logger.warn({ err: error }, `${name} lost its LISTEN connection; polling only`));
  const listening = listener.connect().then(() => listener.query(`LISTEN ${options.channel}`)).catch((error) => {
    logger.warn({ err: error }, `${name} could not LISTEN; polling only`);
  });

  const loop = (async () => {
    await listening;
    while (running) {
      let more = false;
      wokenDuringPass = false;
      try {
        more = await options.pass();
      } catch (error) {
        if (running) logger.warn({ err: error }, `${name} pass failed; retrying`);
      }
      if (more || wokenDuringPass || !running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.idleMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();

  return {
    wake: nudge,
    async stop() {
      running = false;
      wake?.();
      await loop;
      await listener.end().catch(() => {});
    },
  };
}
