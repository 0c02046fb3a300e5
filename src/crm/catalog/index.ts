import { resolve } from 'node:path';
import { postgresUrlOf, type SourceConfig } from '../config.ts';
import { fileCatalog } from './file.ts';
import { hubspotCatalog } from './hubspot.ts';
import { mysqlCatalog } from './mysql.ts';
import { postgresCatalog } from './postgres.ts';
import type { SourceCatalog } from './types.ts';

export type { ColumnFacts, SampleRow, SourceCatalog, SourceFacts, WriteDenied } from './types.ts';

/**
 * The catalog of a connection's source. A new source type (an API CRM such as
 * HubSpot) adds its reader here: `facts` with the object's properties as columns.
 */
export function openCatalog(
  source: SourceConfig,
  deps: { postgresUrl: string | undefined; baseDir: string },
): SourceCatalog {
  switch (source.type) {
    case 'postgres':
      return postgresCatalog(postgresUrlOf(source, deps.postgresUrl), source);
    case 'mysql':
      return mysqlCatalog(source, deps.baseDir);
    case 'file':
      return fileCatalog({ ...source, path: resolve(deps.baseDir, source.path) });
    case 'hubspot':
      return hubspotCatalog(source);
  }
}
