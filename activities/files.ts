import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { getCampaign, type Campaign } from '../core/campaigns.js';
import type { Db } from '../core/db.js';
import { chunkRows, claimFile, clearStaged, completeFile, failFile, recordChunk, fileRowErrors, getFileById, setFileStatus, stageErrors, stageRowsByCopy, type FileRecord } from '../core/files.js';
import { acceptMessages } from '../core/messages.js';
import { formatAddress, type AddressFields } from '../core/postal-address.js';
import { recipientKey } from '../core/suppressions.js';
import { getTenantSettings } from '../core/tenant-settings.js';
import { readCampaignFile, FileRejected, type RowError } from '../sftp-ingest/csv-rows.js';
import { SftpInbox } from '../sftp-ingest/inbox.js';
import type { SendActivities } from './send.js';

/** Rows per chunk: one activity accepts and sends them; the workflow only counts chunks. */
const FILE_CHUNK_ROWS = 500;
const chunksOf = (valid: number) => Math.ceil(valid / FILE_CHUNK_ROWS);
const SENDS_IN_FLIGHT = 16;
const STAGE_BATCH = 1_000;
const NO_SENDER = 'the tenant has no default sender for file emails; set settings.sender and upload the file again';

const csvLine = (values: Array<string | number>) => values.map((v) => (/[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))).join(',');
/** A move that finds no file was done by an earlier attempt that failed to record it: the file is already out of the inbox. */
const alreadyMovedIsDone = (moving: Promise<unknown>) =>
  moving.catch((error) => {
    if (!/No such file/i.test((error as Error).message)) throw error;
  });
const report = (rows: Array<{ row: number | string; column: string; message: string }>) => `${[csvLine(['row', 'column', 'message']), ...rows.map((r) => csvLine([r.row, r.column, r.message]))].join('\r\n')}\r\n`;

export function fileActivities(deps: { db: Db; send: SendActivities }) {
  const { db, send } = deps;

  const inboxOf = async (tenantId: string) => {
    const sftp = (await getTenantSettings(db, tenantId)).sftp;
    if (!sftp) throw ApplicationFailure.nonRetryable('the tenant has no sftp settings; set settings.sftp to use file campaigns', 'NoSftp');
    return SftpInbox.open(sftp);
  };
  const fileCampaign = async (tenantId: string, id: string | null): Promise<Campaign | undefined> => {
    if (!id) return undefined;
    const campaign = await getCampaign(db, tenantId, id).catch(() => undefined);
    return campaign?.type === 'file' ? campaign : undefined;
  };

  return {
    /** Claims what is ready in the tenant's inbox; duplicates go to errors/ with a report. Returns the files to process. */
    async pollInbox(tenantId: string): Promise<Array<{ fileId: string; workflowId: string; campaignId: string | null; channel: string | null }>> {
      const inbox = await inboxOf(tenantId);
      try {
        const listing = await inbox.list();
        const claimed: Array<{ fileId: string; workflowId: string; campaignId: string | null; channel: string | null }> = [];
        for (const refused of listing.refused) heartbeat({ refused: refused.path });
        for (const seen of listing.ready) {
          const sha256 = await inbox.sha256(seen.path);
          const campaign = await fileCampaign(tenantId, seen.campaignHint);
          const { outcome, file } = await claimFile(db, { tenantId, campaignId: campaign?.id ?? null, name: seen.name, path: seen.path, sha256 });
          if (outcome === 'duplicate') await inbox.finish(seen.path, 'errors', { suffix: '.errors.csv', content: report([{ row: '', column: '', message: `duplicate: ${file.reason}` }]) });
          // A file taken by an earlier poll is handed out again: starting its workflow twice is harmless (the id is the key).
          else claimed.push({ fileId: file.id, workflowId: file.workflowId, campaignId: file.campaignId, channel: campaign?.channel ?? null });
          heartbeat();
        }
        return claimed;
      } finally {
        await inbox.close();
      }
    },

    /** Streams the file from SFTP, stages its valid rows and records its invalid ones; a file refused whole goes to errors/. */
    async loadFile(fileId: string): Promise<{ rejected: boolean; chunks: number }> {
      const file = await getFileById(db, fileId);
      if (file.status === 'failed') return { rejected: true, chunks: 0 };
      if (file.status === 'sending' || file.status === 'processed') return { rejected: false, chunks: chunksOf(file.rows.valid) };
      const campaign = await fileCampaign(file.tenantId, file.campaignId);
      const inbox = await inboxOf(file.tenantId);
      try {
        const reject = async (reason: string) => {
          await inbox.finish(file.path, 'errors', { suffix: '.errors.csv', content: report([{ row: '', column: '', message: reason }]) });
          await failFile(db, fileId, reason);
          return { rejected: true, chunks: 0 };
        };
        if (!campaign) return await reject(`no file campaign matches "${file.path}"; name it <campaign_id>_anything.csv or put it in <inbox>/<campaign_id>/`);
        if (campaign.channel === 'email' && !(await getTenantSettings(db, file.tenantId)).sender) return await reject(NO_SENDER);
        await setFileStatus(db, fileId, 'validating');
        await clearStaged(db, fileId);
        const stage = await stageRowsByCopy(db, fileId);
        let errors: RowError[] = [];
        let seen = 0;
        const flushErrors = async () => {
          await stageErrors(db, fileId, errors);
          errors = [];
        };
        const progress = setInterval(() => heartbeat({ rows: seen }), 2_000);
        try {
          const counts = await readCampaignFile(inbox.read(file.path), { channel: campaign.channel!, columns: campaign.columns }, {
            onValid: (row) => {
              seen++;
              return stage.add(row.row, row.contact);
            },
            onInvalid: (error) => {
              seen++;
              return errors.push(error) >= STAGE_BATCH ? flushErrors() : undefined;
            },
          });
          await stage.end();
          await flushErrors();
          await setFileStatus(db, fileId, 'sending', counts);
          return { rejected: false, chunks: chunksOf(counts.valid) };
        } catch (error) {
          stage.abort(error as Error);
          if (error instanceof FileRejected) return await reject(error.message);
          throw error;
        } finally {
          clearInterval(progress);
        }
      } finally {
        await inbox.close();
      }
    },

    /** Accepts one chunk's rows into the ledger (keyed by file hash and row) and sends them through the send path. */
    async sendFileChunk(fileId: string, chunk: number): Promise<void> {
      const file = await getFileById(db, fileId);
      const campaign = (await fileCampaign(file.tenantId, file.campaignId))!;
      const rows = await chunkRows(db, fileId, chunk, FILE_CHUNK_ROWS);
      const sender = campaign.channel === 'email' ? (await getTenantSettings(db, file.tenantId)).sender : undefined;
      if (campaign.channel === 'email' && !sender) throw ApplicationFailure.nonRetryable(NO_SENDER, 'NoSender');
      const accepted = await acceptMessages(
        db,
        rows.map(({ row, contact }) => {
          const email = campaign.channel === 'email';
          const recipient = email ? contact.email! : formatAddress(contact as unknown as AddressFields);
          return {
            tenantId: file.tenantId,
            idempotencyKey: `file:${file.sha256}:${row}`,
            channel: campaign.channel!,
            campaignId: campaign.id,
            campaignVersion: campaign.version,
            templateId: campaign.templateId,
            recipient,
            recipientKey: recipientKey(campaign.channel!, email ? recipient : (contact as unknown as AddressFields)),
            request: email ? { from: sender, to: { email: contact.email, name: [contact.first_name, contact.last_name].filter(Boolean).join(' ') || undefined, customFields: contact } } : contact,
            headers: {},
            workflowId: file.workflowId,
          };
        }),
      );
      // Each message is sent once: a retried chunk finds the finished ones final in the ledger.
      await send.sendBatch(file.tenantId, accepted, SENDS_IN_FLIGHT);
      await recordChunk(db, fileId, chunk, file.tenantId, accepted.map((m) => m.id));
    },

    /**
     * Ends a file whose sending stopped on an error that retrying cannot fix: what was sent stays
     * sent (and counted), the file goes to errors/ with a report that says why, and `file.failed`.
     */
    async stopFile(fileId: string, reason: string): Promise<void> {
      const file = await getFileById(db, fileId);
      if (file.status === 'failed') return;
      const inbox = await inboxOf(file.tenantId);
      try {
        const message = `stopped with ${file.rows.sent} of ${file.rows.valid} valid rows counted as sent: ${reason}`;
        await alreadyMovedIsDone(inbox.finish(file.path, 'errors', { suffix: '.errors.csv', content: report([{ row: '', column: '', message }]) }));
        await failFile(db, fileId, message);
      } finally {
        await inbox.close();
      }
    },

    /** Counts from the ledger, the file to processed/ (with its errors report when rows were invalid), and `file.processed`. */
    async finishFile(fileId: string): Promise<FileRecord> {
      const file = await getFileById(db, fileId);
      if (file.status !== 'processed') {
        const inbox = await inboxOf(file.tenantId);
        try {
          const errors = await fileRowErrors(db, fileId, 1_000_000);
          await alreadyMovedIsDone(inbox.finish(file.path, 'processed', errors.length ? { suffix: '.errors.csv', content: report(errors) } : undefined));
        } finally {
          await inbox.close();
        }
      }
      return completeFile(db, fileId);
    },
  };
}
export type FileActivities = ReturnType<typeof fileActivities>;
