// A worker process alone, for production: run as many as the load needs against one Temporal cluster.
import { Connection } from '@temporalio/client';
import { temporalConnectionOptions } from '../core/config.js';
import { createPool } from '../core/db.js';
import { createLogger } from '../core/logger.js';
import { migrate } from '../core/migrate.js';
import { createWorker } from '../worker/create-worker.js';
import { installTemporalRuntime } from '../worker/runtime.js';
import { ensureSearchAttributes } from '../worker/search-attributes.js';
import { onShutdownSignal, settingsOrExit } from './settings.js';

const config = settingsOrExit(['DATABASE_URL', 'TEMPORAL_ADDRESS']);
const logger = createLogger(config.LOG_LEVEL, 'mailflow-worker');
installTemporalRuntime(logger);
const db = createPool(config.DATABASE_URL!, config.DATABASE_POOL_SIZE);
await migrate(db);
const connection = await Connection.connect(temporalConnectionOptions(config));
await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
await connection.close();
const worker = await createWorker({ config, db });
logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker polling');
onShutdownSignal(async () => {
  await worker.shutdown();
  await db.end();
});
await worker.running;
