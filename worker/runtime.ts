import type { LogLevel, LogMetadata } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from '../core/logger.js';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Installs the Temporal runtime once per process with the SDK's logs (worker, workflow and activity
 * loggers) going to our pino logger. Signals are left to the caller, who shuts things down in order.
 */
export function installTemporalRuntime(logger: Logger): void {
  const forward = (level: LogLevel) => (message: string, meta?: LogMetadata) => logger[LEVELS[level]](meta ?? {}, message);
  Runtime.install({
    shutdownSignals: [],
    logger: {
      log: (level, message, meta) => forward(level)(message, meta),
      trace: forward('TRACE'),
      debug: forward('DEBUG'),
      info: forward('INFO'),
      warn: forward('WARN'),
      error: forward('ERROR'),
    },
  });
}
