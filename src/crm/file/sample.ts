import { DEFAULT_MAX_RECORD_BYTES, delimiterByte } from './connector.ts';
import { csvRecords } from './csv-tokenizer.ts';
import { csvHeader } from './header.ts';
import { csvData, jsonlData } from './items.ts';
import { splitLines } from './line-splitter.ts';
import { contentStart, fileChunks, fileVersion } from './source.ts';

export interface FileSample {
  /** The CSV header, or the JSONL properties in order of first appearance. */
  columns: string[];
  /** The first readable records; unreadable ones are skipped. */
  rows: Record<string, unknown>[];
}

/**
 * The columns and first records of a file, whatever its id field (which is
 * what `sahut-sync init` wants to find out). Throws SOURCE_INVALID when the
 * file cannot be read.
 */
export async function sampleFile(
  opts: { path: string; format: 'csv' | 'jsonl'; delimiter?: string | undefined },
  limit: number,
): Promise<FileSample> {
  await fileVersion(opts.path);
  const origin = await contentStart(opts.path);
  const maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;
  const rows: Record<string, unknown>[] = [];
  if (opts.format === 'csv') {
    const layout = { delimiter: delimiterByte(opts.delimiter ?? ','), maxRecordBytes };
    const header = await csvHeader(opts.path, origin, layout);
    if (header === null) return { columns: [], rows };
    const start = header.next;
    for await (const raw of csvRecords(fileChunks(opts.path, start.offset), { start, ...layout })) {
      if (rows.length >= limit) break;
      const read = csvData(raw, header.columns);
      if ('data' in read) rows.push(read.data);
    }
    return { columns: header.columns, rows };
  }
  const columns = new Set<string>();
  const start = { offset: origin, line: 1 };
  for await (const raw of splitLines(fileChunks(opts.path, origin), { start, maxRecordBytes })) {
    if (rows.length >= limit) break;
    const read = jsonlData(raw);
    if (read === null || !('data' in read)) continue;
    for (const key of Object.keys(read.data)) columns.add(key);
    rows.push(read.data);
  }
  return { columns: [...columns], rows };
}
