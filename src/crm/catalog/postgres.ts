import pg from 'pg';
import { objectName } from '../notify/names.ts';
import { quoteIdent } from '../postgres/sql.ts';
import {
  type ColumnFacts,
  type SampleRow,
  type SourceCatalog,
  type SourceFacts,
  sampleRow,
  type WriteDenied,
} from './types.ts';

const TEMPORAL = new Set(['timestamp with time zone', 'timestamp without time zone', 'date']);
const CONNECT_TIMEOUT_MS = 10_000;

/** The catalog of one PostgreSQL table or view (`schema` omitted: found through the search_path). */
export function postgresCatalog(
  url: string,
  source: { schema?: string | undefined; table: string },
): SourceCatalog {
  const qualified =
    source.schema === undefined
      ? quoteIdent(source.table)
      : `${quoteIdent(source.schema)}.${quoteIdent(source.table)}`;
  let client: Promise<pg.Client> | undefined;
  const session = () => {
    client ??= (async () => {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
      c.on('error', () => {}); // a session ended by the server fails the next query instead
      await c.connect();
      return c;
    })();
    return client;
  };
  const rows = async <T>(text: string, values: unknown[] = []) =>
    (await (await session()).query(text, values)).rows as T[];

  return {
    async facts(sampleSize): Promise<SourceFacts | null> {
      const [relation] = await rows<{ kind: string; namespace: string }>(
        `SELECT c.relkind AS kind, n.nspname AS namespace FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
        [qualified],
      );
      if (relation === undefined) return null;
      const columns = await rows<{ name: string; type: string }>(
        `SELECT a.attname AS name, format_type(coalesce(nullif(ty.typbasetype, 0), a.atttypid), NULL) AS type
         FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
         WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [qualified],
      );
      const keyed = (where: string) =>
        rows<{ name: string }>(
          `SELECT DISTINCT a.attname AS name FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND ${where}
           WHERE i.indrelid = to_regclass($1) AND i.indpred IS NULL`,
          [qualified],
        ).then((found) => found.map((r) => r.name));
      const primaryKey = await keyed('a.attnum = ANY(i.indkey) AND i.indisprimary');
      const view = relation.kind === 'v' || relation.kind === 'f';
      const sample = await rows<{ row: Record<string, unknown> }>(
        `SELECT to_jsonb(t) AS row FROM (SELECT * FROM ${qualified} LIMIT $1) t`,
        [sampleSize],
      );
      return {
        label: `${relation.namespace}.${source.table}`,
        namespace: relation.namespace,
        relation: view ? 'view' : 'table',
        columns: columns.map((c): ColumnFacts => ({ ...c, temporal: TEMPORAL.has(c.type) })),
        primaryKey: view ? [] : primaryKey,
        indexed: view ? null : await keyed('a.attnum = i.indkey[0]'),
        sample: sample.map((r): SampleRow => sampleRow(r.row)),
      };
    },

    async triggerInstalled(connection) {
      const found = await rows(
        `SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = $2 AND tgenabled <> 'D'`,
        [qualified, objectName('sahut_sync_', connection)],
      );
      return found.length > 0;
    },

    async writeDenied(update, insert): Promise<WriteDenied | null> {
      const denied = async (columns: readonly string[], privilege: 'UPDATE' | 'INSERT') => {
        if (columns.length === 0) return [];
        const found = await rows<{ name: string }>(
          `SELECT c AS name FROM unnest($2::text[]) AS c WHERE NOT has_column_privilege($1, c, $3)`,
          [qualified, columns, privilege],
        );
        return found.map((r) => r.name);
      };
      const [user] = await rows<{ name: string }>('SELECT current_user AS name');
      const missing = [
        ['UPDATE', await denied(update, 'UPDATE')],
        ['INSERT', await denied(insert, 'INSERT')],
      ] as const;
      const lacking = missing.filter(([, columns]) => columns.length > 0);
      if (lacking.length === 0) return null;
      const who = quoteIdent(user?.name ?? 'current_user');
      return {
        problem: `${lacking.map(([p, columns]) => `${p} of ${columns.join(', ')}`).join(' and ')} not granted`,
        grant: lacking
          .map(
            ([p, columns]) => `GRANT ${p} (${columns.map(quoteIdent).join(', ')}) ON ${qualified} TO ${who}`,
          )
          .join('; '),
      };
    },

    createIndexSql: (column) => `CREATE INDEX ON ${qualified} (${quoteIdent(column)})`,

    async close() {
      const c = await client?.catch(() => undefined);
      await c?.end().catch(() => {});
    },
  };
}
