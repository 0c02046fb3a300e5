import { CrmError } from '../errors.ts';
import { csvRecords } from './csv-tokenizer.ts';
import { headerColumns } from './items.ts';
import type { FilePosition } from './position.ts';
import { fileChunks } from './source.ts';

export interface CsvLayout {
  /** One ASCII byte. */
  delimiter: number;
  maxRecordBytes: number;
}

/** The header of a CSV file and where its first record starts; null for an empty file. */
export async function csvHeader(
  path: string,
  origin: number,
  layout: CsvLayout,
): Promise<{ columns: string[]; next: FilePosition } | null> {
  for await (const raw of csvRecords(fileChunks(path, origin), {
    start: { offset: origin, line: 1 },
    ...layout,
  })) {
    try {
      return { columns: headerColumns(raw), next: raw.next };
    } catch (err) {
      throw new CrmError(
        'SOURCE_INVALID',
        `Bad CSV header in ${path} (line ${raw.line}): ${(err as Error).message}`,
      );
    }
  }
  return null;
}
