import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createConnector, type SourceInput, sourceSchema } from '../src/crm/index.ts';
import { readAll } from './crm-connector-suite.ts';

const issuesOf = (input: unknown) =>
  sourceSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('sourceSchema', () => {
  it('fills the postgres defaults', () => {
    expect(sourceSchema.parse({ type: 'postgres', table: 'contacts' })).toEqual({
      type: 'postgres',
      table: 'contacts',
      idColumn: 'id',
      cursorColumn: 'updated_at',
    });
  });

  it.each([
    ['exports/a.CSV', 'csv', ','],
    ['a.tsv', 'csv', '\t'],
    ['a.jsonl', 'jsonl', undefined],
    ['a.ndjson', 'jsonl', undefined],
  ])('takes the format of %s from its extension', (path, format, delimiter) => {
    expect(sourceSchema.parse({ type: 'file', path })).toEqual({
      type: 'file',
      path,
      format,
      idField: 'id',
      delimiter,
      fullExport: false,
    });
  });

  it('lets an explicit format and delimiter win', () => {
    expect(
      sourceSchema.parse({ type: 'file', path: 'a.txt', format: 'csv', delimiter: ';', idField: 'crm_id' }),
    ).toEqual({
      type: 'file',
      path: 'a.txt',
      format: 'csv',
      delimiter: ';',
      idField: 'crm_id',
      fullExport: false,
    });
  });

  it('names the field of every mistake', () => {
    expect(issuesOf({ type: 'file', path: 'a.txt' })).toEqual([
      'format: cannot tell from the file extension: set csv or jsonl',
    ]);
    expect(issuesOf({ type: 'file', path: 'a.jsonl', delimiter: ';' })).toEqual([
      'delimiter: applies to csv files only',
    ]);
    expect(issuesOf({ type: 'oracle', table: 't' })[0]).toMatch(/^type: /);
    expect(issuesOf({ type: 'mysql', table: 't' })).toEqual(['url: expected a mysql:// URL']);
    expect(issuesOf({ type: 'file', path: 'a.csv', notify: true })).toEqual([': Unrecognized key: "notify"']);
    expect(issuesOf({ type: 'postgres', table: 't', idColum: 'x' })).toEqual([
      ': Unrecognized key: "idColum"',
    ]);
    expect(issuesOf({ type: 'postgres', table: 't', pageSize: 0 })[0]).toMatch(/^pageSize: /);
  });

  it('never echoes a database URL it rejects', () => {
    const issues = issuesOf({ type: 'postgres', table: 't', url: 'mysql://u:s3cret@h/db' });
    expect(issues).toEqual(['url: expected a postgres:// URL']);
    expect(issuesOf({ type: 'mysql', table: 't', url: 'postgres://u:s3cret@h/db' })).toEqual([
      'url: expected a mysql:// URL',
    ]);
  });

  it('takes a mysql source with TLS, pool settings and notify', () => {
    const url = 'mysql://sync:pw@crm-db:3306/crm';
    expect(sourceSchema.parse({ type: 'mysql', url, table: 'contacts' })).toEqual({
      type: 'mysql',
      url,
      table: 'contacts',
      idColumn: 'id',
      cursorColumn: 'updated_at',
    });
    expect(
      sourceSchema.parse({
        type: 'mysql',
        url,
        table: 'contacts',
        tls: { ca: 'certs/ca.pem' },
        pool: { max: 8 },
        notify: true,
      }),
    ).toMatchObject({
      tls: { ca: 'certs/ca.pem', rejectUnauthorized: true },
      pool: { max: 8, idleTimeoutMs: 60_000, connectTimeoutMs: 10_000 },
      notify: true,
    });
    expect(issuesOf({ type: 'mysql', url, table: 't', tls: false })[0]).toMatch(/^tls: /);
    expect(issuesOf({ type: 'mysql', url, table: 't', pool: { max: 0 } })[0]).toMatch(/^pool\.max: /);
  });
});

describe('createConnector', () => {
  const pool = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', max: 2 });
  const schema = `crm_cfg_${randomUUID().replaceAll('-', '')}`;
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('builds a postgres connector on the pool for the URL, reading only the mapped columns', async () => {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(
      `CREATE TABLE "${schema}".people (pk int, full_name text, secret text, changed timestamptz)`,
    );
    await pool.query(`INSERT INTO "${schema}".people VALUES (1, 'Ann', 'hidden', now())`);
    const urls: (string | undefined)[] = [];
    const input: SourceInput = {
      type: 'postgres',
      schema,
      table: 'people',
      idColumn: 'pk',
      cursorColumn: 'changed',
    };
    const connector = createConnector(sourceSchema.parse(input), {
      pgPoolFor: (url) => {
        urls.push(url);
        return pool;
      },
      mysqlPoolFor: () => {
        throw new Error('no mysql pool needed');
      },
      baseDir: '/nowhere',
      columns: ['full_name'],
    });
    expect(urls).toEqual([undefined]);
    const items = (await readAll(connector, null, 10)).flatMap((p) => p.items);
    expect(items).toEqual([{ ok: true, record: { id: '1', data: { full_name: 'Ann' } } }]);
    expect(connector.capabilities.update).toBe(true);
  });

  it('resolves a relative file path against baseDir', async () => {
    const connector = createConnector(
      sourceSchema.parse({ type: 'file', path: 'fixtures/crm/unterminated.csv' }),
      {
        pgPoolFor: () => {
          throw new Error('no pool needed');
        },
        mysqlPoolFor: () => {
          throw new Error('no pool needed');
        },
        baseDir: new URL('.', import.meta.url).pathname,
        columns: [],
      },
    );
    const items = (await readAll(connector, null, 10)).flatMap((p) => p.items);
    expect(items[0]).toEqual({ ok: true, record: { id: '1', data: { id: '1', name: 'ok' } } });
    expect(connector.capabilities).toEqual({ incremental: false, update: false, create: false });
  });
});
