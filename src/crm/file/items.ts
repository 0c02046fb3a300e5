import { z } from 'zod';
import type { CrmItem } from '../types.ts';
import type { RawRecord } from './position.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decode(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

const reject = (line: number, reason: string): CrmItem => ({
  ok: false,
  rejected: { ref: `line ${line}`, reason },
});

function recordOf(line: number, data: Record<string, unknown>, idField: string): CrmItem {
  const raw = data[idField];
  const id =
    typeof raw === 'string' ? raw.trim() : typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : '';
  if (id === '') {
    const what = raw === undefined || raw === null || raw === '' ? 'missing' : `not a string or number`;
    return reject(line, `id field "${idField}" is ${what}`);
  }
  return { ok: true, record: { id, data } };
}

/** A CSV record → its fields by column, or the problem that makes it unreadable. */
export function csvData(
  raw: RawRecord<Buffer[]>,
  columns: readonly string[],
): { data: Record<string, string> } | { problem: string } {
  if (raw.value === null) return { problem: raw.problem ?? 'unreadable record' };
  if (raw.value.length !== columns.length) {
    return { problem: `expected ${columns.length} fields, found ${raw.value.length}` };
  }
  const data: Record<string, string> = {};
  for (const [i, column] of columns.entries()) {
    const text = decode(raw.value[i]!);
    if (text === null) return { problem: `invalid UTF-8 in field "${column}"` };
    data[column] = text;
  }
  return { data };
}

/** A CSV record → item. Reasons name fields and counts, never values (they may be personal data). */
export function csvItem(raw: RawRecord<Buffer[]>, columns: readonly string[], idField: string): CrmItem {
  const read = csvData(raw, columns);
  return 'problem' in read ? reject(raw.line, read.problem) : recordOf(raw.line, read.data, idField);
}

const objectSchema = z.record(z.string(), z.unknown());

/** A JSONL line → its object, the problem that makes it unreadable, or null for a blank line. */
export function jsonlData(
  raw: RawRecord<Buffer>,
): { data: Record<string, unknown> } | { problem: string } | null {
  if (raw.value === null) return { problem: raw.problem ?? 'unreadable line' };
  const text = decode(raw.value);
  if (text === null) return { problem: 'invalid UTF-8' };
  if (text.trim() === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: 'invalid JSON' };
  }
  const parsed = objectSchema.safeParse(json);
  if (!parsed.success) {
    const kind = json === null ? 'null' : Array.isArray(json) ? 'an array' : `a ${typeof json}`;
    return { problem: `expected a JSON object, found ${kind}` };
  }
  return { data: parsed.data };
}

/** A JSONL line → item, or null for a blank line. */
export function jsonlItem(raw: RawRecord<Buffer>, idField: string): CrmItem | null {
  const read = jsonlData(raw);
  if (read === null) return null;
  return 'problem' in read ? reject(raw.line, read.problem) : recordOf(raw.line, read.data, idField);
}

/** The header row → column names (trimmed); throws a message for the caller to wrap. */
export function headerColumns(raw: RawRecord<Buffer[]>): string[] {
  if (raw.value === null) throw new Error(raw.problem ?? 'unreadable header');
  const columns = raw.value.map((bytes) => {
    const text = decode(bytes);
    if (text === null) throw new Error('invalid UTF-8 in the header');
    return text.trim();
  });
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column)) throw new Error(`duplicate column name "${column}" in the header`);
    seen.add(column);
  }
  return columns;
}
