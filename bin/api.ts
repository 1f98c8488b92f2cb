// The HTTP API alone, for production: stateless, run behind a load balancer in as many copies as needed.
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../api/app.js';
import { temporalConnectionOptions } from '../core/config.js';
import { createPool } from '../core/db.js';
import { createLogger } from '../core/logger.js';
import { migrate } from '../core/migrate.js';
import { onShutdownSignal, settingsOrExit } from './settings.js';

const config = settingsOrExit(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'ADMIN_API_KEY']);
const logger = createLogger(config.LOG_LEVEL, 'mailflow-api');
const db = createPool(config.DATABASE_URL!, config.DATABASE_POOL_SIZE);
await migrate(db);
const connection = await Connection.connect(temporalConnectionOptions(config));
const api = await buildApi({ config, db, temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), logger });
await api.listen({ port: config.PORT, host: config.HOST });
onShutdownSignal(async () => {
  await api.close();
  await connection.close();
  await db.end();
});
