import type pg from 'pg';
import { crmRecord } from './records.ts';

const COLUMNS = ['id', 'name', 'phone', 'email', 'company', 'tags', 'tier'] as const;
const CHUNK = 10_000;

/**
 * The CRM as a PostgreSQL table `<schema>.contacts` holding the bench's generated
 * records crm-0 … crm-(count-1), with the `updated_at` column the connector's
 * cursor follows. Inserted 10,000 rows per statement.
 */
export async function insertCrmRows(client: pg.Client, schema: string, count: number): Promise<void> {
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(
    `CREATE TABLE ${schema}.contacts (${COLUMNS.map((c) => `${c} text`).join(', ')}, ` +
      'updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (id))',
  );
  for (let from = 0; from < count; from += CHUNK) {
    const columns = COLUMNS.map(() => [] as string[]);
    for (let i = from; i < Math.min(count, from + CHUNK); i++) {
      const r = crmRecord(i);
      COLUMNS.forEach((c, k) => {
        columns[k]?.push(c === 'id' ? r.id : String(r.data[c] ?? ''));
      });
    }
    const params = COLUMNS.map((_, k) => `$${k + 1}::text[]`).join(', ');
    await client.query(
      `INSERT INTO ${schema}.contacts (${COLUMNS.join(', ')}) SELECT * FROM unnest(${params})`,
      columns,
    );
  }
}
