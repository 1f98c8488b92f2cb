import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WORKFLOWS_ENTRY = path.join(ROOT, 'workflows', 'index.ts');
// Workflow code may import deterministic helpers from core/; both folders and the lock file decide the bundle.
const BUNDLE_INPUTS = [path.join(ROOT, 'workflows'), path.join(ROOT, 'core'), path.join(ROOT, 'package-lock.json')];

async function listFiles(entry: string): Promise<string[]> {
  const stat = await readdir(entry, { withFileTypes: true }).catch(() => undefined);
  if (!stat) return [entry];
  const nested = await Promise.all(
    stat.map((dirent) => (dirent.isDirectory() ? listFiles(path.join(entry, dirent.name)) : [path.join(entry, dirent.name)])),
  );
  return nested.flat().sort();
}

async function sourceDigest(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of (await Promise.all(BUNDLE_INPUTS.map(listFiles))).flat()) {
    hash.update(path.relative(ROOT, file)).update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The workflow bundle as a file, built once per version of the workflow sources and kept in
 * `cacheDir`: webpack takes seconds, and a restart with unchanged code need not pay them again.
 */
export async function workflowBundlePath(cacheDir: string): Promise<string> {
  const file = path.join(cacheDir, `workflows-${await sourceDigest()}.js`);
  try {
    await access(file);
    return file;
  } catch {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY, logger: quietLogger });
    await mkdir(cacheDir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    await writeFile(partial, code);
    await rename(partial, file);
    return file;
  }
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
