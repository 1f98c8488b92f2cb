import { createHash } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path/posix';
import type { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';

export interface SftpSettings {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string;
  inboxPath: string;
}

/** A file waiting in the inbox: its path relative to the inbox and the campaign its place names. */
export interface InboxFile {
  path: string;
  name: string;
  size: number;
  /** `<inbox>/<campaign_id>/x.csv`, else the campaign id that starts the name (`<campaign_id>_x.csv`). */
  campaignHint: string;
}

export interface InboxListing {
  ready: InboxFile[];
  /** Still being written: the size changed between two looks. Left for the next poll. */
  growing: string[];
  refused: Array<{ path: string; reason: string }>;
}

/** Why a name is refused (path tricks, control characters), or undefined when it is fine. */
export function refusedName(name: string): string | undefined {
  if (name === '.' || name === '..' || name.includes('..')) return 'the name contains ".."';
  if (name.includes('/') || name.includes('\\')) return 'the name contains a path separator';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the name contains control characters';
  if (name.length > 255) return 'the name is longer than 255 characters';
  return undefined;
}

// Campaign ids carry their own `cmp_` prefix, so `<campaign_id>_anything.csv` has the id up to the second `_`.
const CAMPAIGN_PREFIX = /^(cmp_[0-9a-z]+)(?:_|\.|$)/i;
const campaignHintOf = (relative: string) => {
  const [first, ...rest] = relative.split('/');
  if (rest.length) return first!;
  return CAMPAIGN_PREFIX.exec(first!)?.[1] ?? first!.split('_')[0]!;
};

/**
 * One tenant's SFTP inbox: what is ready in it (top level and one folder per campaign), each
 * file's content hash, reading it, and moving it to `processed/` or `errors/` beside the inbox
 * with a report. Dot-files (uploads in progress under a temporary name) are not looked at.
 */
// The server closed the session under a request: worth one new session before giving up.
const DROPPED = /No response from server|ECONNRESET|Not connected|connection (?:lost|closed)/i;

async function connect(settings: SftpSettings): Promise<SftpClient> {
  const sftp = new SftpClient();
  await sftp.connect({
    host: settings.host,
    port: settings.port,
    username: settings.username,
    password: settings.password,
    privateKey: settings.privateKey,
    retries: 1,
    readyTimeout: 10_000,
  });
  return sftp;
}

export class SftpInbox {
  private constructor(
    private sftp: SftpClient,
    private readonly settings: SftpSettings,
    readonly root: string,
  ) {}

  static async open(settings: SftpSettings): Promise<SftpInbox> {
    return new SftpInbox(await connect(settings), settings, settings.inboxPath.replace(/\/+$/, '') || '/');
  }

  /** Runs a read-only look at the inbox, once more on a new session if the server dropped the first. */
  private async reading<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!DROPPED.test((error as Error).message)) throw error;
      await this.sftp.end().catch(() => {});
      this.sftp = await connect(this.settings);
      return work();
    }
  }

  private async sizes(): Promise<{ sizes: Map<string, number>; refused: Array<{ path: string; reason: string }> }> {
    const sizes = new Map<string, number>();
    const refused: Array<{ path: string; reason: string }> = [];
    const visit = async (dir: string, prefix: string, depth: number) => {
      for (const entry of await this.sftp.list(dir)) {
        if (entry.name.startsWith('.')) continue;
        const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
        const reason = refusedName(entry.name);
        if (reason) {
          refused.push({ path: relative, reason });
          continue;
        }
        if (entry.type === 'd' && depth === 0) await visit(path.join(dir, entry.name), relative, 1);
        else if (entry.type === '-') sizes.set(relative, entry.size);
      }
    };
    await visit(this.root, '', 0);
    return { sizes, refused };
  }

  /** Looks twice, `pauseMs` apart: a file whose size changed is still being written. */
  async list(pauseMs = 500): Promise<InboxListing> {
    const first = await this.reading(() => this.sizes());
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const second = await this.reading(() => this.sizes());
    const ready: InboxFile[] = [];
    const growing: string[] = [];
    for (const [relative, size] of second.sizes) {
      if (first.sizes.get(relative) !== size) growing.push(relative);
      else ready.push({ path: relative, name: path.basename(relative), size, campaignHint: campaignHintOf(relative) });
    }
    return { ready, growing, refused: second.refused };
  }

  private readonly reads = new Set<Readable>();

  read(relative: string): Readable {
    const stream = this.sftp.createReadStream(path.join(this.root, relative)) as unknown as Readable;
    // A read whose reader has finished still closes its remote handle afterwards. An error there
    // (the session ending under it) reaches no reader and must not crash the process: errors
    // while reading reach the reader as ever, through its own listener.
    stream.on('error', () => {});
    this.reads.add(stream);
    stream.once('close', () => this.reads.delete(stream));
    return stream;
  }

  /** SHA-256 of the file's bytes, streamed. */
  async sha256(relative: string): Promise<string> {
    return this.reading(async () => {
      const hash = createHash('sha256');
      for await (const chunk of this.read(relative)) hash.update(chunk as Buffer);
      return hash.digest('hex');
    });
  }

  /** Moves a file to `processed/` or `errors/` beside the inbox (never overwriting), with an optional report beside it. */
  async finish(relative: string, folder: 'processed' | 'errors', report?: { suffix: string; content: string }): Promise<string> {
    const targetDir = path.join(path.dirname(this.root), folder);
    await this.sftp.mkdir(targetDir, true);
    let target = path.join(targetDir, path.basename(relative));
    for (let n = 1; await this.sftp.exists(target); n++) target = path.join(targetDir, `${n}-${path.basename(relative)}`);
    await this.sftp.rename(path.join(this.root, relative), target);
    if (report) await this.sftp.put(Buffer.from(report.content, 'utf8'), `${target}${report.suffix}`);
    return target;
  }

  /** Ends the session once the reads have closed their remote handles (at most 5 s). */
  async close(): Promise<void> {
    const giveUp = AbortSignal.timeout(5_000);
    await Promise.all([...this.reads].map((stream) => once(stream, 'close', { signal: giveUp }).catch(() => {})));
    await this.sftp.end().catch(() => {});
  }
}
