import { ActivityFailure, continueAsNew, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { FileActivities } from '../activities/files.js';
import type { FileRecord } from '../core/files.js';

// The long parts (reading the file, waiting on providers) heartbeat every 2 s, so a worker that
// died is noticed in seconds and its chunk retried elsewhere.
const { loadFile, finishFile, stopFile } = proxyActivities<FileActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});
const { sendFileChunk } = proxyActivities<FileActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

const CHUNKS_IN_FLIGHT = 4;
const HISTORY_LIMIT = 2_000;

export interface FileCampaignInput {
  fileId: string;
  /** Set when continuing as new: the rows are loaded and chunks before this one are sent. */
  resume?: { chunks: number; nextChunk: number };
  /** History events before the run continues as new (default 2,000); tests set it low. */
  historyLimit?: number;
}

/**
 * One dropped file: load and validate its rows into the staging table, send them a chunk at a
 * time (a few chunks at once) through the send path, then move the file to processed/ with its
 * report. The workflow deals in chunk numbers and counts only; rows never enter its history.
 */
export async function fileCampaign({ fileId, resume, historyLimit = HISTORY_LIMIT }: FileCampaignInput): Promise<FileRecord | { rejected: true }> {
  const loaded = resume ? { rejected: false, ...resume } : { nextChunk: 0, ...(await loadFile(fileId)) };
  if (loaded.rejected) return { rejected: true };
  const { chunks } = loaded;
  const historyIsLong = () => workflowInfo().historyLength > historyLimit;
  let next: number;
  try {
    next = patched('file-chunk-window') ? await sendChunks(fileId, loaded.nextChunk, chunks, historyIsLong) : await sendChunksInRounds(fileId, loaded.nextChunk, chunks, historyIsLong);
  } catch (error) {
    // A chunk failed for good (chunks retry anything transient): the file ends as failed, with why.
    if (!(error instanceof ActivityFailure)) throw error;
    await stopFile(fileId, error.cause?.message ?? error.message);
    return { rejected: true };
  }
  if (next < chunks) return continueAsNew<typeof fileCampaign>({ fileId, resume: { chunks, nextChunk: next }, ...(historyLimit !== HISTORY_LIMIT && { historyLimit }) });
  return finishFile(fileId);
}

/**
 * Sends chunks `from` onwards, `CHUNKS_IN_FLIGHT` at a time: a new chunk starts as soon as any
 * running one ends. Stops starting chunks once the history is long, and returns the first chunk
 * not started when every started one has ended.
 */
async function sendChunks(fileId: string, from: number, chunks: number, historyIsLong: () => boolean): Promise<number> {
  const running = new Set<Promise<void>>();
  let failure: unknown;
  let next = from;
  while (next < chunks && !historyIsLong() && !failure) {
    if (running.size >= CHUNKS_IN_FLIGHT) {
      await Promise.race(running);
      continue;
    }
    const sending: Promise<void> = sendFileChunk(fileId, next++)
      .catch((error) => void (failure ??= error))
      .finally(() => running.delete(sending));
    running.add(sending);
  }
  await Promise.all(running);
  // A chunk that failed for good stops the file once the chunks running beside it have ended.
  if (failure) throw failure;
  return next;
}

/** How runs started before 'file-chunk-window' send: rounds of `CHUNKS_IN_FLIGHT` chunks, each waiting for its slowest. */
async function sendChunksInRounds(fileId: string, from: number, chunks: number, historyIsLong: () => boolean): Promise<number> {
  let next = from;
  while (next < chunks && !historyIsLong()) {
    const batch = Array.from({ length: Math.min(CHUNKS_IN_FLIGHT, chunks - next) }, (_, i) => next + i);
    await Promise.all(batch.map((chunk) => sendFileChunk(fileId, chunk)));
    next += batch.length;
  }
  return next;
}
