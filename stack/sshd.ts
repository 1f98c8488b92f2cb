import { execFile } from 'node:child_process';
import { access, chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ManagedProcess } from './managed-process.js';
import { isPortOpen, waitFor } from './ports.js';

const run = promisify(execFile);
export const SSHD_CANDIDATES = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'];

export interface SftpEndpoint {
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
  privateKey: string;
  /** Where SFTP paths start on this machine's disk (the chroot, when there is one). */
  rootDir: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** sshd chroots only below directories that are root-owned and writable by no one else, all the way up. */
async function chrootProblem(dir: string): Promise<string | undefined> {
  for (let current = dir; ; current = path.dirname(current)) {
    const info = await stat(current);
    if (info.uid !== 0 || (info.mode & 0o022) !== 0) {
      return `sshd cannot confine SFTP sessions to ${dir}: ${current} must be owned by root and writable by no one else (put DATA_DIR elsewhere, e.g. not under /tmp)`;
    }
    if (current === path.dirname(current)) return undefined;
  }
}

export async function findSshd(): Promise<string | undefined> {
  for (const candidate of SSHD_CANDIDATES) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

async function ensureKey(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mailflow', '-f', file]);
  }
}

/**
 * Runs OpenSSH's sshd on loopback as an SFTP-only endpoint: key authentication with a key pair
 * kept in `dir`, no shell, and (when it runs as root) every session confined to `dir/root`.
 */
export async function startSftpEndpoint(options: { dir: string; port: number; onLine?: (line: string) => void }): Promise<SftpEndpoint> {
  const sshd = await findSshd();
  if (!sshd) throw new Error('OpenSSH sshd is not installed (apt-get install openssh-server)');
  const dir = path.resolve(options.dir);
  const rootDir = path.join(dir, 'root');
  await mkdir(rootDir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  await chmod(rootDir, 0o755);
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  const clientKey = path.join(dir, 'client_ed25519_key');
  await ensureKey(hostKey);
  await ensureKey(clientKey);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(`${clientKey}.pub`), { mode: 0o600 });

  const username = os.userInfo().username;
  const asRoot = os.userInfo().uid === 0;
  if (asRoot) {
    const problem = await chrootProblem(rootDir);
    if (problem) throw new Error(problem);
    // sshd wants its privilege-separation directory even when it never forks a shell.
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  }
  const config = [
    `Port ${options.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${username}`,
    'AllowTcpForwarding no',
    'X11Forwarding no',
    'LogLevel ERROR',
    'Subsystem sftp internal-sftp',
    asRoot ? `ChrootDirectory ${rootDir}` : '',
    asRoot ? 'ForceCommand internal-sftp' : `ForceCommand internal-sftp -d ${rootDir}`,
  ].filter(Boolean);
  const configFile = path.join(dir, 'sshd_config');
  await writeFile(configFile, config.join('\n') + '\n');

  const process = new ManagedProcess('sshd', sshd, ['-D', '-e', '-f', configFile], { onLine: options.onLine });
  try {
    await waitFor(`sshd on 127.0.0.1:${options.port}`, async () => {
      if (!process.running) throw new Error('exited');
      return isPortOpen(options.port);
    }, 10_000, 50);
  } catch (error) {
    await process.stop(1_000);
    throw new Error(`sshd did not start (${(error as Error).message}). Its last output:\n${process.lastOutput()}`);
  }
  return {
    host: '127.0.0.1',
    port: options.port,
    username,
    privateKeyPath: clientKey,
    privateKey: await readFile(clientKey, 'utf8'),
    rootDir,
    process,
    stop: () => process.stop(),
  };
}
