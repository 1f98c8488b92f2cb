import type { Readable } from 'node:stream';
import { parse, type Parser } from 'csv-parse';
import { fileRowSchema } from '../core/contacts.js';
import type { Channel } from '../core/templates.js';

// Headers map to the contact field of the same name (Postalytics' header names) unless the
// campaign's `columns` say otherwise. What each channel cannot do without:
const REQUIRED: Record<Channel, string[][]> = {
  // each inner list: at least one of these fields must have a column
  mail: [['first_name', 'last_name', 'organization'], ['address_street'], ['address_city'], ['address_zip']],
  email: [['email']],
};

export interface RowError {
  /** The row as a spreadsheet shows it: the header is row 1, the first contact row 2. */
  row: number;
  column: string;
  message: string;
}

export interface ValidRow {
  row: number;
  contact: Record<string, string>;
}

/** Why a whole file is refused: no rows would make sense of it. */
export class FileRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileRejected';
  }
}

export interface FileSpec {
  channel: Channel;
  /** CSV header → contact field; headers not named map to themselves and are kept for the template. */
  columns?: Record<string, string>;
}

/** `,` or `;`, whichever the header line uses more, outside quotes. */
export function detectDelimiter(headerLine: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

/** Reads up to the end of the first line to choose the delimiter, and hands back a stream that starts from byte 0 again. */
async function sniff(input: Readable): Promise<{ delimiter: ',' | ';'; stream: AsyncIterable<Buffer> }> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let seen = '';
  while (!seen.includes('\n') && seen.length < 65_536) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(chunk);
    seen += chunk.toString('utf8');
  }
  if (!seen.trim()) throw new FileRejected('the file is empty');
  if (seen.includes('\u0000')) throw new FileRejected('the file is not a CSV text file (it contains binary data)');
  const firstLine = seen.replace(/^\uFEFF/, '').split(/\r?\n/)[0]!;
  const rest = (async function* () {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
  return { delimiter: detectDelimiter(firstLine), stream: rest };
}

/**
 * The parser's records in batches: every record it has buffered at each wake-up, so the reader
 * pays for a promise per batch rather than one per record (as an async iterator over the stream,
 * or a generator yielding records, would).
 */
async function* recordBatchesOf(parser: Parser): AsyncGenerator<string[][]> {
  let failure: Error | undefined;
  let ended = false;
  parser.on('error', (error) => void (failure ??= error));
  parser.on('end', () => void (ended = true));
  for (;;) {
    const batch: string[][] = [];
    for (let record = parser.read() as string[] | null; record !== null; record = parser.read() as string[] | null) batch.push(record);
    if (batch.length) {
      yield batch;
      continue;
    }
    if (failure) throw failure;
    if (ended) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        parser.off('readable', wake).off('end', wake).off('error', wake);
        resolve();
      };
      parser.on('readable', wake).on('end', wake).on('error', wake);
    });
  }
}

/**
 * Streams a campaign file: checks its header against what the channel needs, then maps each row
 * through the column mapping and validates it with the contact schema, handing valid rows to
 * `onValid` and invalid ones (row, column, reason) to `onInvalid`. UTF-8 with or without BOM,
 * CRLF or LF, quoted fields with delimiters and newlines, `,` or `;`; blank lines are skipped.
 * A file that cannot be read as the campaign's contacts at all throws FileRejected.
 */
export async function readCampaignFile(
  input: Readable,
  spec: FileSpec,
  handlers: { onValid(row: ValidRow): void | Promise<void>; onInvalid(error: RowError): void | Promise<void> },
): Promise<{ total: number; valid: number; invalid: number; headers: string[] }> {
  const { delimiter, stream } = await sniff(input);
  const parser = parse({ bom: true, delimiter, relax_column_count: true, skip_empty_lines: true });
  const feeding = (async () => {
    try {
      for await (const chunk of stream) if (!parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve));
      parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();
  const schema = fileRowSchema(spec.channel);
  let headers: string[] | undefined;
  let fields: string[] = [];
  let fieldToHeader = new Map<string, string>();
  let total = 0;
  let valid = 0;
  let invalid = 0;
  try {
    for await (const batch of recordBatchesOf(parser)) for (const record of batch) {
      if (!headers) {
        headers = record.map((h) => h.trim());
        fields = headers.map((h) => spec.columns?.[h] ?? spec.columns?.[h.toLowerCase()] ?? h.toLowerCase());
        fieldToHeader = new Map(fields.map((f, i) => [f, headers![i]!]));
        const missing = REQUIRED[spec.channel].filter((anyOf) => !anyOf.some((f) => fields.includes(f)));
        if (missing.length) {
          const names = missing.map((anyOf) => anyOf.map((f) => Object.entries(spec.columns ?? {}).find(([, to]) => to === f)?.[0] ?? f).join(' or '));
          throw new FileRejected(`missing required column${missing.length > 1 ? 's' : ''}: ${names.join(', ')} (the header has: ${headers.join(', ')})`);
        }
        continue;
      }
      total++;
      const row = total + 1;
      if (record.length !== headers.length) {
        invalid++;
        await handlers.onInvalid({ row, column: '', message: `has ${record.length} fields where the header has ${headers.length}` });
        continue;
      }
      // Postgres cannot store a NUL character in text or jsonb: a row holding one is reported, not loaded.
      const withNul = record.findIndex((value) => value.includes('\u0000'));
      if (withNul >= 0) {
        invalid++;
        await handlers.onInvalid({ row, column: headers[withNul]!, message: 'contains a NUL character' });
        continue;
      }
      const contact: Record<string, string> = {};
      for (let i = 0; i < fields.length; i++) if (record[i] !== '') contact[fields[i]!] = record[i]!;
      const parsed = schema.safeParse(contact);
      if (!parsed.success) {
        invalid++;
        for (const issue of parsed.error.issues) {
          const field = String(issue.path[0] ?? '');
          await handlers.onInvalid({ row, column: fieldToHeader.get(field) ?? field, message: issue.message });
        }
        continue;
      }
      valid++;
      const clean = parsed.data as Record<string, string>;
      for (const key in clean) if (!clean[key]) delete clean[key];
      // Handlers that return nothing cost no await per row.
      const pending = handlers.onValid({ row, contact: clean });
      if (pending) await pending;
    }
  } catch (error) {
    if (error instanceof FileRejected) throw error;
    throw new FileRejected(`the file is not valid CSV: ${(error as Error).message}`);
  } finally {
    parser.destroy();
    await feeding;
  }
  if (!headers) throw new FileRejected('the file is empty');
  if (total === 0) throw new FileRejected('the file has a header but no rows');
  return { total, valid, invalid, headers };
}
