import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/app.js';
import { temporalConnectionOptions, type Config } from '../core/config.js';
import { createPool, type Db } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import { migrate } from '../core/migrate.js';
import { createWorker, type EngineWorker } from '../worker/create-worker.js';
import { installTemporalRuntime } from '../worker/runtime.js';
import { ensureSearchAttributes } from '../worker/search-attributes.js';
import { workflowBundlePath } from '../worker/workflow-bundle.js';
import { resolveAdminKey } from './admin-key.js';
import { resolveTemporalBinary } from './binaries.js';
import { startEmbeddedPostgres } from './postgres.js';
import { findSshd, startSftpEndpoint, type SftpEndpoint } from './sshd.js';
import { startTemporalDevServer } from './temporal-dev-server.js';

export interface Stack {
  config: Config;
  adminKey: string;
  apiUrl: string;
  uiUrl?: string;
  databaseUrl: string;
  temporalAddress: string;
  sftp?: SftpEndpoint;
  /** Why there is no local SFTP endpoint, and how to get one. */
  sftpUnavailable?: string;
  /** Stops everything this stack started, newest first. */
  stop(): Promise<void>;
}

/**
 * Starts the whole engine on its embedded defaults: Postgres, a Temporal dev server, an SFTP endpoint
 * (where sshd is installed), the worker and the API. DATABASE_URL or TEMPORAL_ADDRESS replace the
 * embedded servers. Independent pieces start in parallel; a failure stops what had started.
 */
export async function launchStack(baseConfig: Config, logger: Logger): Promise<Stack> {
  const stops: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.reverse()) {
      await stop().catch((error) => logger.warn({ err: error }, `stopping ${name} failed`));
    }
  };
  const dataDir = baseConfig.dataDir;
  try {
    const adminKey = await resolveAdminKey(dataDir, baseConfig.ADMIN_API_KEY);
    const config: Config = { ...baseConfig, ADMIN_API_KEY: adminKey };
    installTemporalRuntime(logger.child({ component: 'temporal-sdk' }));

    const postgres = (async () => {
      if (config.DATABASE_URL) return config.DATABASE_URL;
      const server = await startEmbeddedPostgres({
        dataDir: path.join(dataDir, 'postgres'),
        port: config.POSTGRES_PORT,
        database: 'mailflow',
        onLog: (line) => logger.debug({ component: 'postgres' }, line),
      });
      stops.push({ name: 'postgres', stop: server.stop });
      return server.url;
    })();
    const temporal = (async () => {
      if (config.TEMPORAL_ADDRESS) return { address: config.TEMPORAL_ADDRESS, uiUrl: undefined };
      const server = await startTemporalDevServer({
        cli: await resolveTemporalBinary('cli'),
        dataDir: path.join(dataDir, 'temporal'),
        port: config.TEMPORAL_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        namespace: config.TEMPORAL_NAMESPACE,
        onLine: (line) => logger.debug({ component: 'temporal-server' }, line),
      });
      stops.push({ name: 'temporal', stop: server.stop });
      return { address: server.address, uiUrl: server.uiUrl };
    })();
    const sftp = (async (): Promise<SftpEndpoint | string> => {
      if (!(await findSshd())) return 'OpenSSH sshd is not installed; install it (apt-get install openssh-server) and start again for a local SFTP inbox';
      try {
        const endpoint = await startSftpEndpoint({ dir: path.join(dataDir, 'sftp'), port: config.SFTP_PORT });
        stops.push({ name: 'sshd', stop: endpoint.stop });
        return endpoint;
      } catch (error) {
        return (error as Error).message;
      }
    })();
    const bundle = workflowBundlePath(path.join(dataDir, 'cache'));

    // Wait for every piece, even after one fails, so that stopAll sees everything that did start.
    await Promise.allSettled([postgres, temporal, sftp, bundle]);
    const [databaseUrl, temporalServer, sftpResult, bundleFile] = await Promise.all([postgres, temporal, sftp, bundle]);
    const db: Db = createPool(databaseUrl, config.DATABASE_POOL_SIZE);
    stops.push({ name: 'database pool', stop: () => db.end() });
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');

    const stackConfig: Config = { ...config, TEMPORAL_ADDRESS: temporalServer.address, DATABASE_URL: databaseUrl };
    const connectionOptions = temporalConnectionOptions(stackConfig);
    const connection = await Connection.connect(connectionOptions);
    stops.push({ name: 'temporal client', stop: () => connection.close() });
    const registered = await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    if (registered.length) logger.info({ registered }, 'search attributes registered');
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

    if (config.STACK_WORKER) {
      const worker: EngineWorker = await createWorker({ config: stackConfig, db, workflowBundlePath: bundleFile });
      stops.push({ name: 'worker', stop: () => worker.shutdown() });
      worker.running.catch((error) => logger.error({ err: error }, 'worker stopped with an error'));
    }

    const api: FastifyInstance = await buildApi({ config: stackConfig, db, temporal: client, logger: logger.child({ component: 'api' }) });
    await api.listen({ port: config.PORT, host: config.HOST });
    stops.push({ name: 'api', stop: () => api.close() });

    return {
      config: stackConfig,
      adminKey,
      apiUrl: `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${config.PORT}`,
      uiUrl: temporalServer.uiUrl,
      databaseUrl,
      temporalAddress: temporalServer.address,
      sftp: typeof sftpResult === 'string' ? undefined : sftpResult,
      sftpUnavailable: typeof sftpResult === 'string' ? sftpResult : undefined,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
