import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { CrmError } from '../errors.ts';
import { checkPageSize, DEFAULT_PAGE_SIZE, type PositionedItem, paginate } from '../paging.ts';
import type { CrmConnector, CrmRecord, ReadOptions } from '../types.ts';
import { csvRecords } from './csv-tokenizer.ts';
import { csvHeader } from './header.ts';
import { csvItem, jsonlItem } from './items.ts';
import { splitLines } from './line-splitter.ts';
import type { FilePosition } from './position.ts';
import { contentStart, fileChunks, fileVersion } from './source.ts';

export interface FileConnectorOptions {
  path: string;
  format: 'csv' | 'jsonl';
  /** Column (CSV) or property (JSONL) holding the record id. */
  idField: string;
  /** CSV only: one ASCII character, `,` unless set. */
  delimiter?: string;
  /** A longer record is rejected, not buffered: 1 MiB unless set. */
  maxRecordBytes?: number;
  /** Default page size of `read`, 500 unless set. */
  pageSize?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

const cursorSchema = z
  .object({
    kind: z.literal('file'),
    version: z.string(),
    offset: z.int().nonnegative(),
    line: z.int().positive(),
  })
  .strict();

export function delimiterByte(delimiter: string): number {
  const byte = delimiter.charCodeAt(0);
  if (
    delimiter.length !== 1 ||
    byte > 0x7f ||
    delimiter === '"' ||
    delimiter === '\r' ||
    delimiter === '\n'
  ) {
    throw new CrmError(
      'SOURCE_INVALID',
      `CSV delimiter must be one ASCII character other than a quote or line break`,
    );
  }
  return byte;
}

/**
 * One-off imports and cron-dropped exports, streamed record by record so a
 * file of any size reads in bounded memory. A bad record becomes a rejected
 * item (`ref: "line N"`, the physical line where it starts) and reading goes on.
 *
 * Not incremental: every read walks the file. A cursor is (file version, byte
 * offset after a record): from the same unchanged file it resumes after that
 * record; once the file was replaced or modified it reads from the top again.
 */
export function createFileConnector(opts: FileConnectorOptions): CrmConnector {
  const { path, idField } = opts;
  const label = `file ${path}`;
  const delimiter = delimiterByte(opts.delimiter ?? ',');
  const maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 1) {
    throw new CrmError('SOURCE_INVALID', `maxRecordBytes must be a positive integer, got ${maxRecordBytes}`);
  }
  const defaultPageSize = checkPageSize(opts.pageSize, DEFAULT_PAGE_SIZE);

  async function* csvItems(
    origin: number,
    resume: FilePosition | null,
  ): AsyncGenerator<PositionedItem<FilePosition>> {
    const header = await csvHeader(path, origin, { delimiter, maxRecordBytes });
    if (header === null) return;
    if (!header.columns.includes(idField)) {
      throw new CrmError(
        'SOURCE_INVALID',
        `The CSV header of ${path} has no column "${idField}" (set idField)`,
      );
    }
    const start = resume !== null && resume.offset >= header.next.offset ? resume : header.next;
    for await (const raw of csvRecords(fileChunks(path, start.offset), {
      start,
      delimiter,
      maxRecordBytes,
    })) {
      yield { item: csvItem(raw, header.columns, idField), position: raw.next };
    }
  }

  async function* jsonlItems(
    origin: number,
    resume: FilePosition | null,
  ): AsyncGenerator<PositionedItem<FilePosition>> {
    const start = resume ?? { offset: origin, line: 1 };
    for await (const raw of splitLines(fileChunks(path, start.offset), { start, maxRecordBytes })) {
      const item = jsonlItem(raw, idField);
      if (item !== null) yield { item, position: raw.next };
    }
  }

  async function* read(cursor: string | null, readOpts: ReadOptions = {}) {
    const limit = checkPageSize(readOpts.pageSize, defaultPageSize);
    const version = await fileVersion(path);
    const decoded = cursor === null ? null : decodeCursor(cursor, cursorSchema, label);
    // A cursor into another version of the file points nowhere meaningful: start over.
    const resume = decoded !== null && decoded.version === version ? decoded : null;
    const origin = await contentStart(path);
    const items = opts.format === 'csv' ? csvItems(origin, resume) : jsonlItems(origin, resume);
    const encode = (p: FilePosition) =>
      encodeCursor({ kind: 'file', version, offset: p.offset, line: p.line });
    yield* paginate(items, encode, limit, readOpts.signal);
  }

  return {
    capabilities: { incremental: false, update: false, create: false },
    read,

    /** Scans the file; the first record with this id wins. */
    async get(id: string): Promise<CrmRecord | null> {
      for await (const page of read(null)) {
        for (const item of page.items) if (item.ok && item.record.id === id) return item.record;
      }
      return null;
    },

    async close() {},
  };
}
