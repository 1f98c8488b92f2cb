import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db, Queryable } from './db.js';
import { withTransaction } from './db.js';
import { notFound } from './errors.js';
import { appendEvent } from './events.js';
import { newId } from './ids.js';

export type FileStatus = 'received' | 'validating' | 'sending' | 'processed' | 'failed' | 'duplicate';

export interface FileRecord {
  id: string;
  tenantId: string;
  campaignId: string | null;
  name: string;
  path: string;
  sha256: string;
  status: FileStatus;
  duplicateOf: string | null;
  reason: string | null;
  rows: { total: number; valid: number; invalid: number; suppressed: number; sent: number; failed: number };
  workflowId: string;
  createdAt: Date;
  updatedAt: Date;
}

const fromRow = (r: Record<string, any>): FileRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  campaignId: r.campaign_id,
  name: r.name,
  path: r.path,
  sha256: r.sha256,
  status: r.status,
  duplicateOf: r.duplicate_of,
  reason: r.reason,
  rows: { total: r.rows_total, valid: r.rows_valid, invalid: r.rows_invalid, suppressed: r.rows_suppressed, sent: r.rows_sent, failed: r.rows_failed },
  workflowId: r.workflow_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const fileWorkflowId = (tenantId: string, sha256: string) => `file/${tenantId}/${sha256}`;
const FINAL: FileStatus[] = ['processed', 'failed', 'duplicate'];

/**
 * Claims a file seen in an inbox, keyed by tenant and content hash, so it is processed once
 * however many polls or workers see it. The same bytes still being processed at the same path
 * are `taken`; the same bytes seen again otherwise are recorded as a `duplicate` of the first.
 */
export async function claimFile(
  db: Db,
  seen: { tenantId: string; campaignId: string | null; name: string; path: string; sha256: string },
): Promise<{ outcome: 'claimed' | 'taken' | 'duplicate'; file: FileRecord }> {
  return withTransaction(db, async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO files (id, tenant_id, campaign_id, name, path, sha256, status, workflow_id) VALUES ($1, $2, $3, $4, $5, $6, 'received', $7)
       ON CONFLICT (tenant_id, sha256) WHERE status <> 'duplicate' DO NOTHING RETURNING *`,
      [newId('fil'), seen.tenantId, seen.campaignId, seen.name, seen.path, seen.sha256, fileWorkflowId(seen.tenantId, seen.sha256)],
    );
    if (inserted.rows[0]) {
      const file = fromRow(inserted.rows[0]);
      await appendEvent(tx, { tenantId: seen.tenantId, type: 'file.received', campaignId: seen.campaignId, data: { file_id: file.id, name: seen.name, sha256: seen.sha256 } });
      return { outcome: 'claimed' as const, file };
    }
    const first = fromRow((await tx.query(`SELECT * FROM files WHERE tenant_id = $1 AND sha256 = $2 AND status <> 'duplicate'`, [seen.tenantId, seen.sha256])).rows[0]);
    if (first.path === seen.path && !FINAL.includes(first.status)) return { outcome: 'taken' as const, file: first };
    const duplicate = await tx.query(
      `INSERT INTO files (id, tenant_id, campaign_id, name, path, sha256, status, duplicate_of, reason, workflow_id)
       VALUES ($1, $2, $3, $4, $5, $6, 'duplicate', $7, $8, $9) RETURNING *`,
      [newId('fil'), seen.tenantId, seen.campaignId, seen.name, seen.path, seen.sha256, first.id, `the same content as ${first.name} (${first.id}), which was already taken; nothing was sent again`, first.workflowId],
    );
    return { outcome: 'duplicate' as const, file: fromRow(duplicate.rows[0]) };
  });
}

export async function getFile(db: Queryable, tenantId: string, id: string): Promise<FileRecord> {
  const { rows } = await db.query('SELECT * FROM files WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  if (!rows[0]) throw notFound('file', id);
  return fromRow(rows[0]);
}

export async function getFileById(db: Queryable, id: string): Promise<FileRecord> {
  const { rows } = await db.query('SELECT * FROM files WHERE id = $1', [id]);
  if (!rows[0]) throw notFound('file', id);
  return fromRow(rows[0]);
}

export async function listFiles(db: Queryable, tenantId: string, page: { limit: number; before?: string }): Promise<FileRecord[]> {
  const { rows } = await db.query(`SELECT * FROM files WHERE tenant_id = $1 AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`, [tenantId, page.before ?? null, page.limit]);
  return rows.map(fromRow);
}

export async function fileRowErrors(db: Queryable, fileId: string, limit = 10_000): Promise<Array<{ row: number; column: string; message: string }>> {
  const { rows } = await db.query(`SELECT row, "column", message FROM file_row_errors WHERE file_id = $1 ORDER BY row, "column" LIMIT $2`, [fileId, limit]);
  return rows;
}

export async function setFileStatus(db: Queryable, fileId: string, status: FileStatus, counts?: Partial<FileRecord['rows']>): Promise<void> {
  await db.query(
    `UPDATE files SET status = $2, rows_total = COALESCE($3, rows_total), rows_valid = COALESCE($4, rows_valid), rows_invalid = COALESCE($5, rows_invalid), updated_at = now()
     WHERE id = $1`,
    [fileId, status, counts?.total ?? null, counts?.valid ?? null, counts?.invalid ?? null],
  );
}

/** Forgets what an earlier, interrupted load of the file staged, so a retried load starts clean. */
export async function clearStaged(db: Queryable, fileId: string): Promise<void> {
  await db.query('DELETE FROM file_chunks WHERE file_id = $1', [fileId]);
  await db.query('DELETE FROM file_rows WHERE file_id = $1', [fileId]);
  await db.query('DELETE FROM file_row_errors WHERE file_id = $1', [fileId]);
}

export interface RowStage {
  /** Adds the next valid row; a promise when the database wants the writer to wait. */
  add(row: number, contact: Record<string, string>): void | Promise<void>;
  /** Ends the COPY and commits the rows. */
  end(): Promise<void>;
  /** Drops everything staged (an interrupted load). */
  abort(error: Error): void;
}

// COPY's text format: a backslash starts an escape; JSON never holds a raw tab, newline or CR.
const copyText = (value: string) => value.replace(/\\/g, '\\\\');
const COPY_BLOCK = 64 * 1024;

/**
 * Streams a file's valid rows into `file_rows` with one COPY, numbering them 0, 1, 2, ... as they
 * come (`seq`, which chunks are ranges of). Nothing is visible until `end()`.
 */
export async function stageRowsByCopy(db: Db, fileId: string): Promise<RowStage> {
  const client = await db.connect();
  const copy = client.query(copyFrom('COPY file_rows (file_id, seq, row, contact) FROM STDIN'));
  let failure: Error | undefined;
  copy.on('error', (error) => (failure ??= error));
  let seq = 0;
  let block = '';
  const flush = (): void | Promise<void> => {
    if (failure) throw failure;
    const wantsMore = copy.write(block);
    block = '';
    if (!wantsMore) return once(copy, 'drain').then(() => undefined);
  };
  let released = false;
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    client.release(error);
  };
  return {
    add(row, contact) {
      block += `${fileId}\t${seq++}\t${row}\t${copyText(JSON.stringify(contact))}\n`;
      if (block.length >= COPY_BLOCK) return flush();
    },
    async end() {
      try {
        if (block) await flush();
        copy.end();
        await finished(copy);
        if (failure) throw failure;
        release();
      } catch (error) {
        release(error as Error);
        throw error;
      }
    },
    abort(error) {
      copy.destroy(error);
      release(error);
    },
  };
}

export async function stageErrors(db: Queryable, fileId: string, errors: Array<{ row: number; column: string; message: string }>): Promise<void> {
  if (!errors.length) return;
  await db.query(`INSERT INTO file_row_errors (file_id, row, "column", message) SELECT $1, r, c, m FROM unnest($2::int[], $3::text[], $4::text[]) AS t(r, c, m)`, [fileId, errors.map((e) => e.row), errors.map((e) => e.column), errors.map((e) => e.message)]);
}

/** The staged rows of one chunk (valid rows chunk * size up to the next chunk), in row order. */
export async function chunkRows(db: Queryable, fileId: string, chunk: number, size: number): Promise<Array<{ row: number; contact: Record<string, string> }>> {
  const { rows } = await db.query(`SELECT row, contact FROM file_rows WHERE file_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq`, [fileId, chunk * size, (chunk + 1) * size]);
  return rows;
}

// The file's counts: the sums of what its chunks came to.
const CHUNK_TOTALS = `(SELECT coalesce(sum(sent), 0)::int AS sent, coalesce(sum(suppressed), 0)::int AS suppressed, coalesce(sum(failed), 0)::int AS failed
                       FROM file_chunks WHERE file_id = $1) c`;

/**
 * Records what one chunk's messages came to and brings the file's running counts up to date, so
 * `GET /api/v1/files/:id` shows progress while the file is sent. A retried chunk writes the same.
 */
export async function recordChunk(db: Db, fileId: string, chunk: number, tenantId: string, messageIds: string[]): Promise<void> {
  await withTransaction(db, async (tx) => {
    await tx.query(
      `INSERT INTO file_chunks (file_id, chunk, sent, suppressed, failed)
       SELECT $1, $2, count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'dropped'), count(*) FILTER (WHERE status = 'failed')
       FROM messages WHERE tenant_id = $3 AND id = ANY($4::text[])
       ON CONFLICT (file_id, chunk) DO UPDATE SET sent = EXCLUDED.sent, suppressed = EXCLUDED.suppressed, failed = EXCLUDED.failed`,
      [fileId, chunk, tenantId, messageIds],
    );
    await tx.query(
      `UPDATE files f SET rows_sent = c.sent, rows_suppressed = c.suppressed, rows_failed = c.failed, updated_at = now()
       FROM ${CHUNK_TOTALS}
       WHERE f.id = $1 AND f.status = 'sending'`,
      [fileId],
    );
  });
}

/** Ends a file as processed, with the counts of its chunks (each taken from the ledger as it ended), and `file.processed`. */
export async function completeFile(db: Db, fileId: string): Promise<FileRecord> {
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query(
      `UPDATE files f SET status = 'processed', updated_at = now(),
         rows_sent = c.sent, rows_suppressed = c.suppressed, rows_failed = c.failed
       FROM ${CHUNK_TOTALS}
       WHERE f.id = $1 AND f.status <> 'processed' RETURNING f.*`,
      [fileId],
    );
    const file = rows[0] ? fromRow(rows[0]) : await getFileById(tx, fileId);
    if (rows[0]) {
      await appendEvent(tx, {
        tenantId: file.tenantId,
        type: 'file.processed',
        campaignId: file.campaignId,
        data: { file_id: file.id, name: file.name, sha256: file.sha256, total: file.rows.total, valid: file.rows.valid, invalid: file.rows.invalid, suppressed: file.rows.suppressed, sent: file.rows.sent, failed: file.rows.failed },
      });
    }
    return file;
  });
}

/** Ends a file refused whole, with the reason and `file.failed`. */
export async function failFile(db: Db, fileId: string, reason: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    const { rows } = await tx.query(`UPDATE files SET status = 'failed', reason = $2, updated_at = now() WHERE id = $1 AND status <> 'failed' RETURNING *`, [fileId, reason]);
    if (!rows[0]) return;
    const file = fromRow(rows[0]);
    await appendEvent(tx, { tenantId: file.tenantId, type: 'file.failed', campaignId: file.campaignId, data: { file_id: file.id, name: file.name, sha256: file.sha256, reason } });
  });
}
