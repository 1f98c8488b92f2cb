import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ENGINE_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { ManagedProcess } from './managed-process.js';
import { waitFor } from './ports.js';

export interface TemporalDevServerHandle {
  address: string;
  uiUrl?: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` on loopback with the engine's search attributes, its SQLite
 * file under `dataDir` (in WAL mode with synchronous off, as the SDK's own CI runs it), and waits
 * until the frontend answers.
 */
export async function startTemporalDevServer(options: {
  cli: string;
  dataDir: string;
  port: number;
  namespace: string;
  uiPort?: number;
  /** Keep history in memory only (tests). */
  inMemory?: boolean;
  timeoutMs?: number;
  onLine?: (line: string) => void;
}): Promise<TemporalDevServerHandle> {
  await mkdir(options.dataDir, { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--namespace', options.namespace,
    '--log-level', 'error',
    '--sqlite-pragma', 'journal_mode=WAL',
    '--sqlite-pragma', 'synchronous=OFF',
    ...ENGINE_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
    // Listing runs by search attribute right after starting them is what operators and tests do.
    '--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true',
  ];
  if (!options.inMemory) args.push('--db-filename', path.join(options.dataDir, 'temporal.sqlite'));
  if (options.uiPort) args.push('--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');

  const process = new ManagedProcess('temporal', options.cli, args, { onLine: options.onLine, cwd: options.dataDir });
  const address = `127.0.0.1:${options.port}`;
  try {
    await waitFor(
      `Temporal dev server on ${address}`,
      async () => {
        if (!process.running) throw new Error('exited');
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: options.namespace });
          return true;
        } finally {
          await connection.close();
        }
      },
      options.timeoutMs ?? 30_000,
      150,
    );
  } catch (error) {
    await process.stop(2_000);
    throw new Error(`The Temporal dev server did not come up (${(error as Error).message}). Its last output:\n${process.lastOutput()}`);
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    process,
    stop: () => process.stop(),
  };
}
