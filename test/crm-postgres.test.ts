import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresConnector,
  isCrmError,
  type PostgresConnectorOptions,
  type StaleRecordError,
} from '../src/crm/index.ts';
import {
  catchError,
  idsOf,
  itemsAfterChange,
  okIds,
  readAll,
  readPageByPage,
  registerConnectorTests,
  writeBack,
} from './crm-connector-suite.ts';
import { until } from './helpers/env.ts';

const pool = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', max: 4 });
const schema = `crm_pg_${randomUUID().replaceAll('-', '')}`;
let tables = 0;

beforeAll(async () => {
  await pool.query(`CREATE SCHEMA "${schema}"`);
});
afterAll(async () => {
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  await pool.end();
});

/** Creates a fresh table in the test schema and returns its (unquoted) name. */
async function createTable(columns: string, name = `t${++tables}`): Promise<string> {
  await pool.query(`CREATE TABLE "${schema}"."${name.replaceAll('"', '""')}" (${columns})`);
  return name;
}

const connectorFor = (table: string, extra: Partial<PostgresConnectorOptions> = {}) =>
  createPostgresConnector({
    pool,
    schema,
    table,
    idColumn: 'id',
    cursorColumn: 'updated_at',
    columns: ['name', 'email'],
    ...extra,
  });

const q = (table: string) => `"${schema}"."${table}"`;

registerConnectorTests(
  'postgres',
  async (records) => {
    const table = await createTable(
      `id text PRIMARY KEY DEFAULT gen_random_uuid()::text, name text, email text, updated_at timestamptz NOT NULL`,
    );
    // Reverse insertion order and four rows per timestamp, so order comes from the keyset, not the heap.
    await pool.query(
      `INSERT INTO ${q(table)} (id, name, email, updated_at)
       SELECT r.id, r.name, r.email, timestamptz '2024-01-01 00:00:00+00' + (r.n / 4) * interval '1 second'
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, name text, email text, n int) ORDER BY r.n DESC`,
      [JSON.stringify(records.map((r, n) => ({ ...r, n })))],
    );
    return {
      connector: connectorFor(table),
      cleanup: async () => void (await pool.query(`DROP TABLE ${q(table)}`)),
      async insertLate(r, msBeforeNewest) {
        await pool.query(
          `INSERT INTO ${q(table)} (id, name, email, updated_at)
           SELECT $1, $2, $3, max(updated_at) - $4 * interval '1 millisecond' FROM ${q(table)}`,
          [r.id, r.name, r.email, msBeforeNewest],
        );
      },
    };
  },
  { incremental: true, update: true, create: true },
  { timestampCursor: true },
);

describe('postgres connector', () => {
  it('streams 10,000 rows page by page, each exactly once', async () => {
    const table = await createTable(
      `id bigint GENERATED ALWAYS AS IDENTITY, name text, email text, updated_at timestamptz`,
    );
    await pool.query(
      `INSERT INTO ${q(table)} (name, email, updated_at)
       SELECT 'n' || i, 'e' || i || '@x.io', timestamptz '2024-01-01 00:00:00+00' + (i % 97) * interval '1 ms'
       FROM generate_series(1, 10000) AS i`,
    );
    const seen = new Set<string>();
    let pages = 0;
    let maxPage = 0;
    let heapGrowth = 0;
    const heapAtStart = process.memoryUsage().heapUsed;
    for await (const page of connectorFor(table).read(null, { pageSize: 500 })) {
      pages += 1;
      maxPage = Math.max(maxPage, page.items.length);
      for (const id of okIds(page.items)) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
      heapGrowth = Math.max(heapGrowth, process.memoryUsage().heapUsed - heapAtStart);
    }
    expect(pages).toBe(20);
    expect(maxPage).toBe(500);
    expect(seen.size).toBe(10_000);
    // A page of 500 small rows is well under 5 MB; all 10,000 at once would not matter here, so this is a sanity bound.
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024);
  });

  it('picks up every row sharing one timestamp across page boundaries', async () => {
    const table = await createTable(`id int, name text, email text, updated_at timestamptz`);
    await pool.query(
      `INSERT INTO ${q(table)} SELECT i, 'n', 'e', '2024-03-03 10:00:00+00' FROM generate_series(1, 50) AS i`,
    );
    const pages = await readAll(connectorFor(table), null, 7);
    expect(pages.map((p) => p.items.length)).toEqual([7, 7, 7, 7, 7, 7, 7, 1]);
    const ids = okIds(pages.flatMap((p) => p.items));
    expect(new Set(ids).size).toBe(50);
    // Ties are broken by the id as text, so '10' comes before '9'.
    expect(ids.slice(0, 3)).toEqual(['1', '10', '11']);
  });

  it('after the last cursor, sees only a row the CRM changed since', async () => {
    const table = await createTable(`id int, name text, email text, updated_at timestamptz`);
    await pool.query(
      `INSERT INTO ${q(table)} SELECT i, 'n' || i, 'e', '2024-03-03 10:00:00+00' FROM generate_series(1, 30) AS i`,
    );
    const items = await itemsAfterChange(connectorFor(table), 8, () =>
      pool.query(`UPDATE ${q(table)} SET name = 'changed', updated_at = now() WHERE id = 17`),
    );
    expect(items).toEqual([{ ok: true, record: { id: '17', data: { name: 'changed', email: 'e' } } }]);
  });

  it.each(['timestamptz', 'timestamp'])(
    'keeps microseconds of a %s cursor column through the cursor',
    async (type) => {
      const table = await createTable(`id text, name text, email text, updated_at ${type}`);
      await pool.query(
        `INSERT INTO ${q(table)} VALUES ('a', 'n', 'e', '2024-05-01 12:00:00.123456'), ('b', 'n', 'e', '2024-05-01 12:00:00.123457'),
       ('c', 'n', 'e', '2024-05-01 12:00:00.123457'), ('d', 'n', 'e', '2024-05-01 12:00:00.1235')`,
      );
      // One row per read, each resuming from the cursor just after the previous row.
      const ids = okIds((await readPageByPage(connectorFor(table), null, 1, 8)).items);
      expect(ids).toEqual(['a', 'b', 'c', 'd']);
    },
  );

  it('reads rows with a NULL cursor column first and rejects rows without an id', async () => {
    const table = await createTable(`id text, name text, email text, updated_at timestamptz`);
    await pool.query(
      `INSERT INTO ${q(table)} VALUES ('x', 'n', 'e', NULL), ('w', 'n', 'e', NULL), (NULL, 'n', 'e', '2024-01-02 00:00:00+00'),
       ('v', 'n', 'e', '2024-01-01 00:00:00+00'), ('', 'n', 'e', '2024-01-03 00:00:00+00')`,
    );
    const connector = connectorFor(table);
    const pages = await readAll(connector, null, 1);
    const items = pages.flatMap((p) => p.items);
    expect(idsOf(items)).toEqual([
      'w',
      'x',
      'v',
      `!${schema}.${table} row at updated_at=2024-01-02 00:00:00+00`,
      `!${schema}.${table} row at updated_at=2024-01-03 00:00:00+00`,
    ]);
    const rejected = items.filter((i) => !i.ok).map((i) => (i.ok ? '' : i.rejected.reason));
    expect(rejected).toEqual(['id column "id" is NULL', 'id column "id" is empty']);
    // Resuming from the middle of the NULL group still yields the rest once.
    expect(idsOf((await readAll(connector, pages[0]!.cursor, 10)).flatMap((p) => p.items))).toHaveLength(4);
  });

  it.each([
    ['timestamp', `'2024-05-01 12:00:00'`, `'2024-05-01 11:59:59.5'`, true],
    ['date', `'2024-05-02'`, `'2024-05-02'`, true],
    ['int', '100', '99', false],
    ['text', `'b'`, `'a'`, false],
  ])(
    'overlap on a %s cursor column: re-reads a late row only for temporal types',
    async (type, key, lateKey, seen) => {
      const table = await createTable(`id text, name text, email text, updated_at ${type}`);
      await pool.query(`INSERT INTO ${q(table)} VALUES ('a', 'n', 'e', ${key})`);
      const items = await itemsAfterChange(
        connectorFor(table),
        10,
        () => pool.query(`INSERT INTO ${q(table)} VALUES ('late', 'n', 'e', ${lateKey})`),
        60_000,
      );
      expect(idsOf(items).includes('late')).toBe(seen);
    },
  );

  it('turns column values into plain JSON-able data', async () => {
    const table = await createTable(
      `id int, born date, seen timestamptz, local timestamp, big bigint, n int, ok boolean, meta jsonb, tags text[], gone text, updated_at timestamptz`,
    );
    await pool.query(
      `INSERT INTO ${q(table)} VALUES (1, '1990-07-15', '2024-05-01 12:00:00.5+07', '2024-05-01 12:00:00.25', 9007199254740993,
       42, true, '{"a":[1]}', '{x,y}', NULL, now())`,
    );
    const columns = ['born', 'seen', 'local', 'big', 'n', 'ok', 'meta', 'tags', 'gone'];
    const record = await connectorFor(table, { columns }).get('1');
    expect(record).toEqual({
      id: '1',
      data: {
        born: '1990-07-15',
        seen: '2024-05-01T05:00:00.500Z',
        local: '2024-05-01T12:00:00.25',
        big: '9007199254740993',
        n: 42,
        ok: true,
        meta: { a: [1] },
        tags: ['x', 'y'],
        gone: null,
      },
    });
  });

  it('quotes identifiers, so odd names work and cannot inject SQL', async () => {
    const table = await createTable(`"ID" int, "First ""Name""" text, "when" timestamptz`, 'we"ird table');
    await pool.query(`INSERT INTO ${q('we""ird table')} VALUES (1, 'Ann', now())`);
    const connector = createPostgresConnector({
      pool,
      schema,
      table,
      idColumn: 'ID',
      cursorColumn: 'when',
      columns: ['First "Name"'],
    });
    expect(idsOf((await readAll(connector, null, 5)).flatMap((p) => p.items))).toEqual(['1']);
    await writeBack(connector, '1', { 'First "Name"': 'Bea' });
    expect((await connector.get('1'))?.data).toEqual({ 'First "Name"': 'Bea' });

    const hostile = connectorFor(`x"; DROP SCHEMA "${schema}" CASCADE; --`);
    await expect(readAll(hostile, null, 5)).rejects.toThrow(/does not exist/);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${q('we""ird table')}`)).rows[0].n).toBe(1);
  });

  describe('write-back', () => {
    async function tableWithNote() {
      const table = await createTable(
        `id int GENERATED BY DEFAULT AS IDENTITY, name text, email text, note text, updated_at timestamptz NOT NULL DEFAULT now()`,
      );
      await pool.query(
        `INSERT INTO ${q(table)} (name, email, note, updated_at) VALUES ('Ann', 'a@x', 'keep me', '2024-01-01')`,
      );
      return table;
    }
    const row = async (table: string, id: number) =>
      (await pool.query(`SELECT name, email, note, updated_at FROM ${q(table)} WHERE id = $1`, [id])).rows[0];

    it('changes only the mapped columns it is given and stamps the cursor column', async () => {
      const table = await tableWithNote();
      await writeBack(connectorFor(table), '1', { email: 'b@x' });
      const after = await row(table, 1);
      expect(after).toMatchObject({ name: 'Ann', email: 'b@x', note: 'keep me' });
      expect(after.updated_at.getTime()).toBeGreaterThan(Date.parse('2024-01-01'));
    });

    it.each(['note', 'updated_at', 'id'])(
      'refuses to write the unmapped column %s, naming it',
      async (column) => {
        const table = await tableWithNote();
        const connector = connectorFor(table, { columns: ['name', 'email', 'updated_at', 'id'] });
        const err = await catchError(() => writeBack(connector, '1', { email: 'c@x', [column]: 'x' }));
        expect(isCrmError(err, 'COLUMN_NOT_WRITABLE'), String(err)).toBe(true);
        expect((err as Error).message).toContain(`Column "${column}"`);
        expect(await row(table, 1)).toMatchObject({ email: 'a@x', note: 'keep me' });
      },
    );

    it('reports an id that cannot exist in the column as not found', async () => {
      const table = await tableWithNote();
      const connector = connectorFor(table);
      const err = await catchError(() => writeBack(connector, 'not-a-number', { email: 'c@x' }));
      expect(isCrmError(err, 'RECORD_NOT_FOUND'), String(err)).toBe(true);
      expect(await connector.get('not-a-number')).toBeNull();
    });

    it('waits out a CRM transaction editing the row, then refuses with STALE instead of writing over its edit', async () => {
      const table = await tableWithNote();
      const connector = connectorFor(table);
      const read = (await connector.get('1'))!;
      const person = await pool.connect();
      try {
        await person.query('BEGIN');
        await person.query(`UPDATE ${q(table)} SET email = 'person@x', updated_at = now() WHERE id = 1`);
        const writing = catchError(() => connector.update!('1', { name: 'Merged' }, read));
        // The write-back is blocked on the person's row lock, as in the lost update it guards against.
        const blocked = async () =>
          (
            await pool.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'`,
            )
          ).rows[0].n > 0;
        await until(blocked, 20_000, 'the write-back to wait on the row lock');
        await person.query('COMMIT');
        const err = await writing;
        expect(isCrmError(err, 'STALE'), String(err)).toBe(true);
        expect((err as StaleRecordError).current.data).toEqual({ name: 'Ann', email: 'person@x' });
      } finally {
        person.release();
      }
      expect(await row(table, 1)).toMatchObject({ name: 'Ann', email: 'person@x' });
    });

    it('rolls back an update that would touch several rows', async () => {
      const table = await createTable(`id int, name text, email text, updated_at timestamptz`);
      await pool.query(
        `INSERT INTO ${q(table)} VALUES (5, 'a', 'a@x', '2024-01-01'), (5, 'b', 'b@x', '2024-01-01')`,
      );
      const err = await catchError(() => writeBack(connectorFor(table), '5', { email: 'same@x' }));
      expect((err as Error).message).toMatch(/several rows with id = 5/);
      const { rows } = await pool.query(`SELECT email FROM ${q(table)} ORDER BY name`);
      expect(rows.map((r) => r.email)).toEqual(['a@x', 'b@x']);
    });

    it('creates a row with a generated id and refuses a table that generates none', async () => {
      const table = await tableWithNote();
      const id = await connectorFor(table).create!({ name: 'New', email: 'n@x' });
      expect(await row(table, Number(id))).toMatchObject({ name: 'New', email: 'n@x', note: null });

      const bare = await createTable(`id text, name text, email text, updated_at timestamptz`);
      const err = await catchError(() => connectorFor(bare).create!({ name: 'New' }));
      expect(isCrmError(err, 'SOURCE_INVALID'), String(err)).toBe(true);
      expect((await pool.query(`SELECT count(*)::int AS n FROM ${q(bare)}`)).rows[0].n).toBe(0);
    });
  });
});
