import { stat } from 'node:fs/promises';
import { sampleFile } from '../file/index.ts';
import type { SourceCatalog, SourceFacts } from './types.ts';
import { sampleRow } from './types.ts';

/** A CSV or JSONL file's columns and first records (a file has no keys, indexes or grants). */
export function fileCatalog(source: {
  path: string;
  format: 'csv' | 'jsonl';
  delimiter?: string | undefined;
}): SourceCatalog {
  return {
    async facts(sampleSize): Promise<SourceFacts | null> {
      const exists = await stat(source.path).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return false;
          throw err;
        },
      );
      if (!exists) return null;
      const { columns, rows } = await sampleFile(source, sampleSize);
      return {
        label: `file ${source.path}`,
        relation: 'file',
        columns: columns.map((name) => ({ name, type: 'text', temporal: false })),
        primaryKey: [],
        indexed: null,
        sample: rows.map(sampleRow),
      };
    },
    async close() {},
  };
}
