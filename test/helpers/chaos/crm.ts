import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import pg from 'pg';
import { createMysqlPool } from '../../../src/crm/index.ts';
import { MYSQL_URL, PG_URL } from '../env.ts';

export type ChaosCrmKind = 'postgres' | 'mariadb' | 'hubspot';

/** An edit left open: its rows are stamped now and committed when the caller says. */
export interface OpenCrmEdit {
  /** What the edited columns held when the edit locked the rows, by id. */
  before: Map<string, CrmEditValues>;
  /** What it writes. */
  values: CrmEditValues;
  commit(): Promise<void>;
}

/** The columns an `edit-crm` event writes (the compose seed's names). */
export interface CrmEditValues {
  company_name: string;
  segments: string;
  last_name: string;
}

/** The CRM table of one chaos run: the compose demo's columns and rows, on either database. */
export interface ChaosCrm {
  kind: ChaosCrmKind;
  /** The connection's `source` as YAML flow mapping. */
  sourceYaml: string;
  /** The mapping file, when not config/mapping.example.yaml (HubSpot's property names). */
  mapping?: string;
  /** `options.createInCrm` as YAML flow mapping, when not the compose table's (its first name NOT NULL). */
  createInCrm?: string;
  /** `options.pageSize`, when not 100. */
  pageSize?: number;
  /** What the run's CRM does on its own (faults, lag), for the log. */
  describe?: string;
  /** What the CRM answered over the run (its faults that fired), for the log. */
  report?(): string;
  /** Every row not deleted (hard, or soft in `deleted_at`), ordered by id, `id` as text. */
  rows(): Promise<Record<string, unknown>[]>;
  /**
   * A person deletes row `id`: `soft` sets `deleted_at` (and bumps `updated_at`), `hard` deletes
   * it (the trigger of `crm install-trigger` leaves a tombstone). Returns the row as it was.
   */
  remove(id: string, how: 'soft' | 'hard'): Promise<Record<string, unknown> | null>;
  /** A person enters `row` (its columns) again as a new row; returns its id. */
  reenter(row: Record<string, unknown>): Promise<string>;
  /**
   * Updates the rows `ids` (stamping `updated_at`) in a transaction left open. `late`: the caller
   * commits it at a later event (a CRM without transactions makes the edit late its own way).
   */
  edit(ids: readonly string[], values: CrmEditValues, late?: boolean): Promise<OpenCrmEdit>;
  drop(): Promise<void>;
}

const held = (rows: readonly Record<string, unknown>[]) =>
  new Map(
    rows.map((r) => [
      String(r.id),
      {
        company_name: String(r.company_name ?? ''),
        segments: String(r.segments ?? ''),
        last_name: String(r.last_name ?? ''),
      },
    ]),
  );

/**
 * The shared database server may be full for a moment (other tests' pools, this deployment's
 * processes): a person's edit is tried again, as the person would, rather than failing the chaos.
 */
export async function retryFull<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      const full = code === '53300' || code === 'ER_CON_COUNT_ERROR';
      if (!full || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}

/** The columns of a person, as a re-entry copies them (not the id, the stamps or `deleted_at`). */
const PERSON = ['first_name', 'last_name', 'mobile', 'email', 'company_name', 'segments', 'tier'] as const;

const SEED = new URL('../../../config/compose/initdb/01-demo-crm.sql', import.meta.url);

/**
 * The compose demo's `contacts` table with `records` rows: in PostgreSQL its
 * own seed file in a private schema; in MariaDB the same columns and the same
 * rows (phone formats, invalid phones, upper-case emails) under a private name.
 */
export async function chaosCrm(kind: Exclude<ChaosCrmKind, 'hubspot'>, records: number): Promise<ChaosCrm> {
  const suffix = randomUUID().slice(0, 8);
  return kind === 'postgres'
    ? postgresCrm(`chaos_crm_${suffix}`, records)
    : mariadbCrm(`chaos_crm_${suffix}`, records);
}

async function postgresCrm(schema: string, records: number): Promise<ChaosCrm> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
  pool.on('error', () => {});
  const seed = await readFile(SEED, 'utf8');
  await pool.query(
    seed
      .replaceAll('crm.', `${schema}.`)
      .replace('SCHEMA IF NOT EXISTS crm', `SCHEMA ${schema}`)
      .replace('generate_series(1, 300)', `generate_series(1, ${records})`),
  );
  const table = `${schema}.contacts`;
  await pool.query(`alter table ${table} add column deleted_at timestamptz`);
  return {
    kind: 'postgres',
    sourceYaml: `{ type: postgres, url: "${PG_URL}", schema: ${schema}, table: contacts, deletedColumn: deleted_at }`,
    async rows() {
      const { rows } = await pool.query(`select * from ${table} where deleted_at is null order by id`);
      return (rows as Record<string, unknown>[]).map((r) => ({ ...r, id: String(r.id) }));
    },
    async remove(id, how) {
      const { rows } = await retryFull(() =>
        pool.query(
          how === 'soft'
            ? `update ${table} set deleted_at = now(), updated_at = now() where id = $1 and deleted_at is null returning *`
            : `delete from ${table} where id = $1 and deleted_at is null returning *`,
          [id],
        ),
      );
      const row = rows[0] as Record<string, unknown> | undefined;
      return row ? { ...row, id: String(row.id) } : null;
    },
    async reenter(row) {
      const { rows } = await retryFull(() =>
        pool.query(
          `insert into ${table} (${PERSON.join(', ')}) values (${PERSON.map((_, i) => `$${i + 1}`).join(', ')}) returning id::text`,
          PERSON.map((c) => row[c] ?? null),
        ),
      );
      return String(rows[0].id);
    },
    async edit(ids, v) {
      const client = await retryFull(() => pool.connect());
      await client.query('begin');
      const locked = await client.query(
        `select id::text, company_name, segments, last_name from ${table} where id = any($1::bigint[]) for update`,
        [ids],
      );
      // now() is the transaction's start: rows committed later carry a stamp from before their commit.
      await client.query(
        `update ${table} set company_name = $2, segments = $3, last_name = $4, updated_at = now()
         where id = any($1::bigint[])`,
        [ids, v.company_name, v.segments, v.last_name],
      );
      return {
        before: held(locked.rows),
        values: v,
        async commit() {
          try {
            await client.query('commit');
          } finally {
            client.release();
          }
        },
      };
    },
    async drop() {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    },
  };
}

const FIRST = ['Budi', 'Siti', 'Agus', 'Dewi', 'Rina', 'Andi', 'Putri', 'Joko', 'Ayu', 'Hendra'];
const LAST = ['Santoso', 'Rahma', 'Wijaya', 'Lestari', 'Saputra', 'Pratama', 'Kusuma'];
const COMPANY = ['PT Contoh Indonesia', 'CV Maju Jaya', 'PT Sinar Terang', null];
const SEGMENTS = ['vip;reseller', 'prospect', 'jakarta;wholesale', ''];
const TIER = ['gold', 'silver', 'bronze'];

/** Row `n` of the compose seed, as its SQL computes it. */
function seedRow(n: number): unknown[] {
  const a = String((n * 7919) % 10000).padStart(4, '0');
  const b = String(n).padStart(4, '0');
  const mobile =
    n % 50 === 0
      ? '12345'
      : [`0812-${a}-${b}`, `62813${a}${b}`, `+62 821 ${a} ${b}`, `+62852${a}${b}`][n % 4];
  const email = `customer${n}@example.co.id`;
  return [
    FIRST[n % 10],
    LAST[n % 7],
    mobile,
    n % 3 === 0 ? email.toUpperCase() : email,
    COMPANY[n % 4],
    SEGMENTS[n % 4],
    TIER[n % 3],
    n,
  ];
}

async function mariadbCrm(table: string, records: number): Promise<ChaosCrm> {
  const pool = createMysqlPool({ url: MYSQL_URL }, '/');
  await pool.query(
    `CREATE TABLE \`${table}\` (id BIGINT AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(100) NOT NULL,
     last_name VARCHAR(100), mobile VARCHAR(64), email VARCHAR(200), company_name VARCHAR(200),
     segments VARCHAR(500), tier VARCHAR(50), updated_at DATETIME(6) NOT NULL DEFAULT NOW(6), deleted_at DATETIME(6) NULL,
     INDEX contacts_updated_at_id (updated_at, id)) DEFAULT CHARSET=utf8mb4`,
  );
  for (let from = 1; from <= records; from += 500) {
    const batch = Array.from({ length: Math.min(500, records - from + 1) }, (_, i) => seedRow(from + i));
    await pool.query(
      `INSERT INTO \`${table}\` (first_name, last_name, mobile, email, company_name, segments, tier, updated_at)
       VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?, NOW(6) - INTERVAL ? MINUTE)').join(', ')}`,
      batch.flat(),
    );
  }
  return {
    kind: 'mariadb',
    sourceYaml: `{ type: mysql, url: "${MYSQL_URL}", table: ${table}, deletedColumn: deleted_at }`,
    async rows() {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT * FROM \`${table}\` WHERE deleted_at IS NULL ORDER BY id`,
      );
      return rows.map((r) => ({ ...r, id: String(r.id) }));
    },
    async remove(id, how) {
      const client = await retryFull(() => pool.getConnection());
      try {
        await client.beginTransaction();
        const [found] = await client.query<RowDataPacket[]>(
          `SELECT * FROM \`${table}\` WHERE id = ? AND deleted_at IS NULL FOR UPDATE`,
          [Number(id)],
        );
        const row = found[0];
        if (row)
          await client.query(
            how === 'soft'
              ? `UPDATE \`${table}\` SET deleted_at = NOW(6), updated_at = NOW(6) WHERE id = ?`
              : `DELETE FROM \`${table}\` WHERE id = ?`,
            [Number(id)],
          );
        await client.commit();
        return row ? { ...row, id: String(row.id) } : null;
      } finally {
        client.release();
      }
    },
    async reenter(row) {
      const [out] = await retryFull(() =>
        pool.execute(
          `INSERT INTO \`${table}\` (${PERSON.join(', ')}) VALUES (${PERSON.map(() => '?').join(', ')})`,
          PERSON.map((c) => (row[c] ?? null) as string | number | null),
        ),
      );
      return String((out as { insertId: number }).insertId);
    },
    async edit(ids, v) {
      const client: PoolConnection = await retryFull(() => pool.getConnection());
      await client.beginTransaction();
      const [locked] = await client.query<RowDataPacket[]>(
        `SELECT CAST(id AS CHAR) AS id, company_name, segments, last_name FROM \`${table}\` WHERE id IN (?) FOR UPDATE`,
        [ids.map(Number)],
      );
      // NOW(6) is the statement's time: rows committed later carry a stamp from before their commit.
      await client.query(
        `UPDATE \`${table}\` SET company_name = ?, segments = ?, last_name = ?, updated_at = NOW(6) WHERE id IN (?)`,
        [v.company_name, v.segments, v.last_name, ids.map(Number)],
      );
      return {
        before: held(locked),
        values: v,
        async commit() {
          try {
            await client.commit();
          } finally {
            client.release();
          }
        },
      };
    },
    async drop() {
      await pool.query(`DROP TABLE IF EXISTS \`${table}\``);
      await pool.end();
    },
  };
}
