import { continueAsNew, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { FileActivities } from '../activities/files.js';
import type { FileRecord } from '../core/files.js';

// The activities heartbeat every 2 s while they work, so a worker that died is noticed in seconds
// and its chunk retried elsewhere.
const { loadFile, finishFile } = proxyActivities<FileActivities>({
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
  const next = patched('file-chunk-window') ? await sendChunks(fileId, loaded.nextChunk, chunks) : await sendChunksInRounds(fileId, loaded.nextChunk, chunks);
  if (next < chunks) return continueAsNew<typeof fileCampaign>({ fileId, resume: { chunks, nextChunk: next } });
  return finishFile(fileId);
}

const historyIsLong = () => workflowInfo().historyLength > HISTORY_LIMIT;

/**
 * Sends chunks `from` onwards, `CHUNKS_IN_FLIGHT` at a time: a new chunk starts as soon as any
 * running one ends. Stops starting chunks once the history is long, and returns the first chunk
 * not started when every started one has ended.
 */
async function sendChunks(fileId: string, from: number, chunks: number): Promise<number> {
  const running = new Set<Promise<void>>();
  let next = from;
  while (next < chunks && !historyIsLong()) {
    if (running.size >= CHUNKS_IN_FLIGHT) {
      await Promise.race(running);
      continue;
    }
    const sending: Promise<void> = sendFileChunk(fileId, next++).then(() => void running.delete(sending));
    running.add(sending);
  }
  await Promise.all(running);
  return next;
}

/** How runs started before 'file-chunk-window' send: rounds of `CHUNKS_IN_FLIGHT` chunks, each waiting for its slowest. */
async function sendChunksInRounds(fileId: string, from: number, chunks: number): Promise<number> {
  let next = from;
  while (next < chunks && !historyIsLong()) {
    const batch = Array.from({ length: Math.min(CHUNKS_IN_FLIGHT, chunks - next) }, (_, i) => next + i);
    await Promise.all(batch.map((chunk) => sendFileChunk(fileId, chunk)));
    next += batch.length;
  }
  return next;
}
