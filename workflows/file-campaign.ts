import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { FileActivities } from '../activities/files.js';
import type { FileRecord } from '../core/files.js';

const { loadFile, finishFile } = proxyActivities<FileActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});
const { sendFileChunk } = proxyActivities<FileActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

const CHUNKS_IN_FLIGHT = 4;
const HISTORY_LIMIT = 2_000;

export interface FileCampaignInput {
  fileId: string;
  /** Set when continuing as new: the rows are loaded and chunks before this one are sent. */
  resume?: { chunks: number; nextChunk: number };
}

/**
 * One dropped file: load and validate its rows into the staging table, send them a chunk at a
 * time (a few chunks at once) through the send path, then move the file to processed/ with its
 * report. The workflow deals in chunk numbers and counts only; rows never enter its history.
 */
export async function fileCampaign({ fileId, resume }: FileCampaignInput): Promise<FileRecord | { rejected: true }> {
  const loaded = resume ? { rejected: false, ...resume } : { nextChunk: 0, ...(await loadFile(fileId)) };
  if (loaded.rejected) return { rejected: true };
  const { chunks } = loaded;
  let next = loaded.nextChunk;
  while (next < chunks) {
    if (workflowInfo().historyLength > HISTORY_LIMIT) {
      return continueAsNew<typeof fileCampaign>({ fileId, resume: { chunks, nextChunk: next } });
    }
    const batch = Array.from({ length: Math.min(CHUNKS_IN_FLIGHT, chunks - next) }, (_, i) => next + i);
    await Promise.all(batch.map((chunk) => sendFileChunk(fileId, chunk)));
    next += batch.length;
  }
  return finishFile(fileId);
}
