// Parse-and-validate throughput of a campaign file alone: a 100,000-row mail CSV streamed through
// csv-parse, the column mapping and the zod contact schema, on one core.
import { Readable } from 'node:stream';
import { readCampaignFile } from '../sftp-ingest/csv-rows.js';
import { sampleMailCsv } from '../test/support/csv-samples.js';
import { median } from './support.js';

export async function benchFileParse(): Promise<void> {
  const rows = Number(process.env.BENCH_FILE_ROWS ?? 100_000);
  const csv = Buffer.from(sampleMailCsv(rows, 100));
  const rates: number[] = [];
  for (let round = 0; round < 7; round++) {
    let valid = 0;
    let invalid = 0;
    const started = performance.now();
    // 64 KiB chunks, as a file stream reads them.
    const chunks = Array.from({ length: Math.ceil(csv.length / 65_536) }, (_, i) => csv.subarray(i * 65_536, (i + 1) * 65_536));
    const counts = await readCampaignFile(Readable.from(chunks), { channel: 'mail' }, { onValid: () => void valid++, onInvalid: () => void invalid++ });
    const ms = performance.now() - started;
    rates.push(counts.total / (ms / 1000));
    console.log(`file-parse: round ${round + 1}: ${counts.total} rows (${counts.valid} valid, ${counts.invalid} invalid) in ${(ms / 1000).toFixed(2)} s = ${Math.round(counts.total / (ms / 1000))} rows/s`);
  }
  console.log(`file-parse: parse and validate, median of 7: ${Math.round(median(rates))} rows/s (${(csv.length / 1024 / 1024).toFixed(1)} MB file)`);
}
