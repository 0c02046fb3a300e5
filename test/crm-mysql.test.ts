import { randomUUID } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMysqlConnector,
  createMysqlPool,
  isCrmError,
  type MysqlConnectorOptions,
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
import { MYSQL_URL, until } from './helpers/env.ts';

const database = `crm_my_${randomUUID().replaceAll('-', '')}`;
const admin = createMysqlPool({ url: MYSQL_URL }, '/');
const pool = createMysqlPool({ url: `${MYSQL_URL.replace(/\/[^/]*$/, '')}/${database}` }, '/');
let tables = 0;

beforeAll(async () => {
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
});
afterAll(async () => {
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.end();
});

/** Rows of a plain query, as objects. */
async function select<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  const [rows] = await pool.query<RowDataPacket[]>(sql, values);
  return rows as T[];
}

const q = (table: string) => `\`${database}\`.\`${table.replaceAll('`', '``')}\``;

/** Creates a fresh table in the test database and returns its name. */
async function createTable(columns: string, name = `t${++tables}`): Promise<string> {
  await pool.query(`CREATE TABLE ${q(name)} (${columns}) DEFAULT CHARSET=utf8mb4`);
  return name;
}

const connectorFor = (table: string, extra: Partial<MysqlConnectorOptions> = {}) =>
  createMysqlConnector({
    pool,
    table,
    idColumn: 'id',
    cursorColumn: 'updated_at',
    columns: ['name', 'email'],
    ...extra,
  });

registerConnectorTests(
  'mariadb',
  async (records) => {
    const table = await createTable(
      `id VARCHAR(64) NOT NULL DEFAULT (uuid()) PRIMARY KEY, name VARCHAR(200), email VARCHAR(200),
       updated_at DATETIME(6) NOT NULL, KEY (updated_at)`,
    );
    // Reverse insertion order and four rows per timestamp, so order comes from the keyset, not the heap.
    for (const [n, r] of [...records.entries()].reverse()) {
      await pool.execute(
        `INSERT INTO ${q(table)} (id, name, email, updated_at) VALUES (?, ?, ?, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL ? SECOND)`,
        [r.id, r.name, r.email, Math.floor(n / 4)],
      );
    }
    return {
      connector: connectorFor(table),
      cleanup: async () => void (await pool.query(`DROP TABLE ${q(table)}`)),
      async insertLate(r, msBeforeNewest) {
        await pool.execute(
          `INSERT INTO ${q(table)} (id, name, email, updated_at)
           SELECT ?, ?, ?, MAX(updated_at) - INTERVAL ? MICROSECOND FROM ${q(table)}`,
          [r.id, r.name, r.email, msBeforeNewest * 1000],
        );
      },
    };
  },
  { incremental: true, update: true, create: true },
  { timestampCursor: true },
);

describe('mysql connector (against MariaDB)', () => {
  it('streams 10,000 rows page by page, each exactly once, ordered by integer id within a timestamp', async () => {
    const table = await createTable(
      `id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50), email VARCHAR(50), updated_at DATETIME(3), KEY (updated_at)`,
    );
    await pool.query(
      `INSERT INTO ${q(table)} (name, email, updated_at)
       SELECT CONCAT('n', seq), CONCAT('e', seq, '@x.io'), TIMESTAMP'2024-01-01 00:00:00' + INTERVAL (seq % 97) * 1000 MICROSECOND
       FROM seq_1_to_10000`,
    );
    const seen = new Set<string>();
    let pages = 0;
    for await (const page of connectorFor(table).read(null, { pageSize: 500 })) {
      pages += 1;
      expect(page.items.length).toBeLessThanOrEqual(500);
      for (const id of okIds(page.items)) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    expect(pages).toBe(20);
    expect(seen.size).toBe(10_000);
    // Ties are broken by the id in its own type: 97, 194, … not '1000' before '97'.
    const first = okIds((await readAll(connectorFor(table), null, 3))[0]!.items);
    expect(first).toEqual(['97', '194', '291']);
  });

  it('serves keyset pages from the index on the cursor column, without a filesort', async () => {
    const table = await createTable(
      `id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50), email VARCHAR(50), updated_at DATETIME(6), KEY (updated_at)`,
    );
    await pool.query(
      `INSERT INTO ${q(table)} (name, email, updated_at) SELECT 'n', 'e', NOW(6) - INTERVAL seq SECOND FROM seq_1_to_2000`,
    );
    await pool.query(`ANALYZE TABLE ${q(table)}`);
    const { pageQuery, tableSql } = await import('../src/crm/mysql/sql.ts');
    const t = tableSql({ database, table, idColumn: 'id', cursorColumn: 'updated_at', columns: ['name'] });
    const kinds = { integerId: true, autoIncrementId: true, temporalCursor: true };
    // A position 20 rows before the end: the range the page needs is small.
    const [near] = await select<{ k: string; id: number }>(
      `SELECT CAST(updated_at AS CHAR) AS k, id FROM ${q(table)} ORDER BY updated_at DESC LIMIT 1 OFFSET 20`,
    );
    const query = pageQuery(t, kinds, { key: near!.k, id: String(near!.id) }, 100);
    const plan = await select<{ key: string | null; Extra: string }>(`EXPLAIN ${query.sql}`, query.values);
    expect(plan[0]?.key).toBe('updated_at');
    expect(plan[0]?.Extra ?? '').not.toMatch(/filesort/);
  });

  it('keeps ids beyond 2^53 exact and finds no row for an id an integer column cannot hold', async () => {
    const table = await createTable(
      `id BIGINT UNSIGNED PRIMARY KEY, name TEXT, email TEXT, updated_at DATETIME`,
    );
    await pool.query(
      `INSERT INTO ${q(table)} VALUES (0, 'zero', 'z', NOW()), (18446744073709551615, 'max', 'm', NOW()),
       (9007199254740993, 'big', 'b', NOW())`,
    );
    const connector = connectorFor(table);
    expect((await connector.get('9007199254740993'))?.data).toEqual({ name: 'big', email: 'b' });
    expect((await connector.get('18446744073709551615'))?.data.name).toBe('max');
    // MySQL would compare 'nope' = 0 as numbers and match row 0.
    expect(await connector.get('nope')).toBeNull();
    const err = await catchError(() => writeBack(connector, 'nope', { name: 'x' }));
    expect(isCrmError(err, 'RECORD_NOT_FOUND'), String(err)).toBe(true);
    const ids = okIds((await readAll(connector, null, 1)).flatMap((p) => p.items));
    expect(ids.sort()).toEqual(['0', '18446744073709551615', '9007199254740993']);
  });

  it('keeps emoji and right-to-left names intact through read, update and create', async () => {
    const table = await createTable(
      `id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100), email VARCHAR(100), updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)`,
    );
    const arabic = 'محمد بن سلمان 🌙';
    const hebrew = 'שָׁלוֹם 👋🏽';
    const family = 'Ayu 👨‍👩‍👧‍👦 𝒜';
    await pool.execute(`INSERT INTO ${q(table)} (name, email) VALUES (?, 'a@x')`, [arabic]);
    const connector = connectorFor(table);
    const [read] = (await readAll(connector, null, 10)).flatMap((p) => p.items);
    expect(read).toMatchObject({ ok: true, record: { data: { name: arabic } } });
    await writeBack(connector, '1', { name: hebrew });
    expect((await connector.get('1'))?.data.name).toBe(hebrew);
    const id = await connector.create!({ name: family, email: 'f@x' });
    expect((await connector.get(id))?.data.name).toBe(family);
    const [stored] = await select<{ hex: string }>(`SELECT HEX(name) AS hex FROM ${q(table)} WHERE id = ?`, [
      id,
    ]);
    expect(stored?.hex).toBe(Buffer.from(family, 'utf8').toString('hex').toUpperCase());
  });

  it.each([
    ['DATETIME(6)', `'2024-05-01 12:00:00'`, `'2024-05-01 11:59:59.5'`, true],
    ['TIMESTAMP(3)', `'2024-05-01 12:00:00'`, `'2024-05-01 11:59:59.5'`, true],
    ['DATE', `'2024-05-02'`, `'2024-05-02'`, true],
    ['INT', '100', '99', false],
  ])(
    'overlap on a %s cursor column: re-reads a late row only for temporal types',
    async (type, key, lateKey, seen) => {
      const table = await createTable(`id VARCHAR(10), name TEXT, email TEXT, updated_at ${type} NULL`);
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

  it('keeps microseconds of the cursor column through the cursor', async () => {
    const table = await createTable(`id VARCHAR(10), name TEXT, email TEXT, updated_at DATETIME(6)`);
    await pool.query(
      `INSERT INTO ${q(table)} VALUES ('a', 'n', 'e', '2024-05-01 12:00:00.123456'), ('b', 'n', 'e', '2024-05-01 12:00:00.123457'),
       ('c', 'n', 'e', '2024-05-01 12:00:00.123457'), ('d', 'n', 'e', '2024-05-01 12:00:00.1235')`,
    );
    const ids = okIds((await readPageByPage(connectorFor(table), null, 1, 8)).items);
    expect(ids).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reads rows with a NULL cursor column first and rejects rows without an id', async () => {
    const table = await createTable(`id VARCHAR(10) NULL, name TEXT, email TEXT, updated_at DATETIME NULL`);
    await pool.query(
      `INSERT INTO ${q(table)} VALUES ('x', 'n', 'e', NULL), ('w', 'n', 'e', NULL), (NULL, 'n', 'e', '2024-01-02 00:00:00'),
       ('v', 'n', 'e', '2024-01-01 00:00:00'), ('', 'n', 'e', '2024-01-03 00:00:00')`,
    );
    const connector = connectorFor(table);
    const pages = await readAll(connector, null, 1);
    const items = pages.flatMap((p) => p.items);
    expect(idsOf(items)).toEqual([
      'w',
      'x',
      'v',
      `!${table} row at updated_at=2024-01-02 00:00:00`,
      `!${table} row at updated_at=2024-01-03 00:00:00`,
    ]);
    expect(idsOf((await readAll(connector, pages[0]!.cursor, 10)).flatMap((p) => p.items))).toHaveLength(4);
  });

  it('quotes identifiers, so odd names work and cannot inject SQL', async () => {
    const table = await createTable('`ID` INT, `First ``Name``` TEXT, `when` DATETIME(6)', 'we`ird table');
    await pool.query(`INSERT INTO ${q('we`ird table')} VALUES (1, 'Ann', NOW(6))`);
    const connector = createMysqlConnector({
      pool,
      table,
      idColumn: 'ID',
      cursorColumn: 'when',
      columns: ['First `Name`'],
    });
    expect(idsOf((await readAll(connector, null, 5)).flatMap((p) => p.items))).toEqual(['1']);
    await writeBack(connector, '1', { 'First `Name`': 'Bea' });
    expect((await connector.get('1'))?.data).toEqual({ 'First `Name`': 'Bea' });

    const hostile = connectorFor(`x\`; DROP DATABASE \`${database}\`; --`);
    const err = await catchError(() => readAll(hostile, null, 5));
    expect(isCrmError(err, 'SOURCE_INVALID'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/does not exist or has no column "id"/);
  });

  describe('write-back', () => {
    async function tableWithNote() {
      const table = await createTable(
        `id INT AUTO_INCREMENT PRIMARY KEY, name TEXT, email TEXT, note TEXT, updated_at DATETIME(6) NOT NULL`,
      );
      await pool.query(
        `INSERT INTO ${q(table)} (name, email, note, updated_at) VALUES ('Ann', 'a@x', 'keep me', '2024-01-01')`,
      );
      return table;
    }
    const row = async (table: string, id: number) => {
      const [found] = await select<Record<string, string>>(
        `SELECT name, email, note, updated_at FROM ${q(table)} WHERE id = ?`,
        [id],
      );
      return found;
    };

    it('changes only the mapped columns it is given and stamps the cursor column', async () => {
      const table = await tableWithNote();
      await writeBack(connectorFor(table), '1', { email: 'b@x' });
      const after = await row(table, 1);
      expect(after).toMatchObject({ name: 'Ann', email: 'b@x', note: 'keep me' });
      expect(String(after?.updated_at) > '2024-01-01').toBe(true);
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

    it('waits out a CRM transaction editing the row, then refuses with STALE instead of writing over its edit', async () => {
      const table = await tableWithNote();
      const connector = connectorFor(table);
      const read = (await connector.get('1'))!;
      const person = await pool.getConnection();
      try {
        await person.beginTransaction();
        await person.query(`UPDATE ${q(table)} SET email = 'person@x', updated_at = NOW(6) WHERE id = 1`);
        const writing = catchError(() => connector.update!('1', { name: 'Merged' }, read));
        // The write-back is blocked on the person's row lock, as in the lost update it guards against.
        const blocked = async () =>
          ((
            await select<{ n: number }>(
              `SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%LIMIT 2 FOR UPDATE' AND DB = ?`,
              [database],
            )
          )[0]?.n ?? 0) > 0;
        await until(blocked, 20_000, 'the write-back to wait on the row lock');
        await person.commit();
        const err = await writing;
        expect(isCrmError(err, 'STALE'), String(err)).toBe(true);
        expect((err as StaleRecordError).current.data).toEqual({ name: 'Ann', email: 'person@x' });
      } finally {
        person.release();
      }
      expect(await row(table, 1)).toMatchObject({ name: 'Ann', email: 'person@x' });
    });

    it('rolls back an update that would touch several rows', async () => {
      const table = await createTable(`id INT, name TEXT, email TEXT, updated_at DATETIME`);
      await pool.query(
        `INSERT INTO ${q(table)} VALUES (5, 'a', 'a@x', '2024-01-01'), (5, 'b', 'b@x', '2024-01-01')`,
      );
      const err = await catchError(() => writeBack(connectorFor(table), '5', { email: 'same@x' }));
      expect((err as Error).message).toMatch(/several rows with id = 5/);
      const rows = await select<{ email: string }>(`SELECT email FROM ${q(table)} ORDER BY name`);
      expect(rows.map((r) => r.email)).toEqual(['a@x', 'b@x']);
    });

    it('creates a row with an AUTO_INCREMENT id, and refuses a table that generates none', async () => {
      const table = await tableWithNote();
      const id = await connectorFor(table).create!({ name: 'New', email: 'n@x' });
      expect(id).toBe('2');
      expect(await row(table, 2)).toMatchObject({ name: 'New', email: 'n@x', note: null });

      const bare = await createTable(`id VARCHAR(10) NULL, name TEXT, email TEXT, updated_at DATETIME`);
      const err = await catchError(() => connectorFor(bare).create!({ name: 'New' }));
      expect(isCrmError(err, 'SOURCE_INVALID'), String(err)).toBe(true);
      const [count] = await select<{ n: string }>(`SELECT COUNT(*) AS n FROM ${q(bare)}`);
      expect(Number(count?.n)).toBe(0);
    });
  });

  describe('pool settings', () => {
    it('asks for TLS when tls is set (the local server has none) and names an unreadable CA file', async () => {
      const tlsPool = createMysqlPool({ url: MYSQL_URL, tls: true }, '/');
      try {
        await expect(tlsPool.query('SELECT 1')).rejects.toThrow(/ssl|secure|tls/i);
      } finally {
        await tlsPool.end();
      }
      const err = await catchError(async () =>
        createMysqlPool(
          { url: MYSQL_URL, tls: { ca: 'missing-ca.pem', rejectUnauthorized: true } },
          '/nowhere',
        ),
      );
      expect(isCrmError(err, 'SOURCE_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toContain('source.tls.ca (missing-ca.pem): ENOENT');
    });

    it('caps the connections at pool.max', async () => {
      const small = createMysqlPool(
        { url: MYSQL_URL, pool: { max: 2, idleTimeoutMs: 1000, connectTimeoutMs: 2000 } },
        '/',
      );
      try {
        const held = await Promise.all([small.getConnection(), small.getConnection()]);
        const third = small.getConnection();
        let gotThird = false;
        void third.then(() => {
          gotThird = true;
        });
        // The third waits until one of the two is released.
        const ids = await Promise.all(
          held.map(async (c) => (await c.query('SELECT CONNECTION_ID() AS id'))[0]),
        );
        expect(ids).toHaveLength(2);
        expect(gotThird).toBe(false);
        held[0]!.release();
        (await third).release();
        held[1]!.release();
      } finally {
        await small.end();
      }
    });
  });
});
