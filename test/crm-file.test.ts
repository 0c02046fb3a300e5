import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CrmItem, createFileConnector, isCrmError } from '../src/crm/index.ts';
import {
  catchError,
  firstPage,
  readAll,
  registerConnectorTests,
  type SeedRecord,
} from './crm-connector-suite.ts';

const fixtures = new URL('./fixtures/crm/', import.meta.url).pathname;
let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crm-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tempFile(content: string | Buffer, ext: string): Promise<string> {
  const path = join(dir, `f${++files}.${ext}`);
  await writeFile(path, content);
  return path;
}

const itemsOf = async (path: string, format: 'csv' | 'jsonl', pageSize = 100) =>
  (await readAll(createFileConnector({ path, format, idField: 'id' }), null, pageSize)).flatMap(
    (p) => p.items,
  );
const ok = (id: string, data: Record<string, unknown>): CrmItem => ({ ok: true, record: { id, data } });
const bad = (line: number, reason: string): CrmItem => ({
  ok: false,
  rejected: { ref: `line ${line}`, reason },
});

const csvOf = (records: readonly SeedRecord[]) =>
  `id,name,email\n${records.map((r) => `${r.id},"${r.name}",${r.email}\n`).join('')}`;
const noWrites = { incremental: false, update: false, create: false };

registerConnectorTests(
  'csv file',
  async (records) => ({
    connector: createFileConnector({
      path: await tempFile(csvOf(records), 'csv'),
      format: 'csv',
      idField: 'id',
    }),
    cleanup: async () => {},
  }),
  noWrites,
);
registerConnectorTests(
  'jsonl file',
  async (records) => {
    const path = await tempFile(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'jsonl');
    return {
      connector: createFileConnector({ path, format: 'jsonl', idField: 'id' }),
      cleanup: async () => {},
    };
  },
  noWrites,
);

describe('csv file connector', () => {
  it('reads every good row of a hostile file and rejects each bad one at its line', async () => {
    expect(await itemsOf(join(fixtures, 'hostile.csv'), 'csv', 4)).toEqual([
      ok('1', { id: '1', name: 'Ann', email: 'ann@example.com', notes: 'plain' }),
      ok('2', { id: '2', name: 'Budi, Jr.', email: 'budi@example.com', notes: 'multi\r\nline\nnote' }),
      ok('3', { id: '3', name: 'Citra', email: 'citra@example.com', notes: 'she said "hi"' }),
      bad(7, 'expected 4 fields, found 3'),
      bad(8, 'invalid UTF-8 in field "email"'),
      bad(9, 'id field "id" is missing'),
      bad(10, 'unexpected character after a closing quote'),
      ok('7', { id: '7', name: 'Hana', email: 'héllo@example.com', notes: 'ünïcödé ✓' }),
      ok('8', {
        id: '8',
        name: 'Indra',
        email: 'indra@example.com',
        notes: 'quote "q", comma, and\nnewline',
      }),
      bad(15, 'expected 4 fields, found 5'),
      ok('10', { id: ' 10 ', name: '', email: '', notes: '' }),
    ]);
  });

  it('rejects a quote left open until the end of the file, keeping what came before', async () => {
    expect(await itemsOf(join(fixtures, 'unterminated.csv'), 'csv')).toEqual([
      ok('1', { id: '1', name: 'ok' }),
      bad(3, 'unterminated quoted field (no closing quote before the end of the file)'),
    ]);
  });

  it('rejects records over 1 MiB without buffering them, and keeps counting lines', async () => {
    const huge = 'x'.repeat(1024 * 1024 + 10);
    const tall = `${'y'.repeat(1000)}\n`.repeat(1100).slice(0, -1); // lines 4–1103 once quoted
    const path = await tempFile(`id,note\n1,small\n2,${huge}\n3,"${tall}"\n4,after\n5,x,y\n`, 'csv');
    expect(await itemsOf(path, 'csv')).toEqual([
      ok('1', { id: '1', note: 'small' }),
      bad(3, 'record is larger than 1048576 bytes'),
      bad(4, 'record is larger than 1048576 bytes'),
      ok('4', { id: '4', note: 'after' }),
      bad(1105, 'expected 2 fields, found 3'),
    ]);
  });

  it('honours another delimiter and a custom record limit', async () => {
    const path = await tempFile('id;name\n1;"a;b"\n2;toolongvalue\n', 'csv');
    const connector = createFileConnector({
      path,
      format: 'csv',
      idField: 'id',
      delimiter: ';',
      maxRecordBytes: 8,
    });
    expect((await readAll(connector, null, 10)).flatMap((p) => p.items)).toEqual([
      ok('1', { id: '1', name: 'a;b' }),
      bad(3, 'record is larger than 8 bytes'),
    ]);
  });

  it('streams a large file in bounded pages, each row once', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},name ${i},"note, ${i}"\n`).join('');
    const pages = await readAll(
      createFileConnector({
        path: await tempFile(`id,name,note\n${rows}`, 'csv'),
        format: 'csv',
        idField: 'id',
      }),
      null,
      500,
    );
    expect(pages).toHaveLength(40);
    expect(Math.max(...pages.map((p) => p.items.length))).toBe(500);
    const ids = new Set(pages.flatMap((p) => p.items).map((i) => (i.ok ? i.record.id : '')));
    expect(ids.size).toBe(20_000);
  });

  it('resumes after a record in the same file, and starts over once the file changed', async () => {
    const path = await tempFile('id,name\n1,a\n2,"b\nb"\n3,c\n', 'csv');
    const connector = createFileConnector({ path, format: 'csv', idField: 'id' });
    const first = await firstPage(connector, null, 2);
    const rest = (await readAll(connector, first!.cursor, 2)).flatMap((p) => p.items);
    expect(rest).toEqual([ok('3', { id: '3', name: 'c' })]);

    await writeFile(path, 'id,name\n9,z\n1,a\n2,b\n3,c\n');
    const afterChange = (await readAll(connector, first!.cursor, 10)).flatMap((p) => p.items);
    expect(afterChange.map((i) => (i.ok ? i.record.id : ''))).toEqual(['9', '1', '2', '3']);
  });

  it('yields nothing for an empty file and gets a record by scanning', async () => {
    const empty = createFileConnector({ path: await tempFile('', 'csv'), format: 'csv', idField: 'id' });
    expect(await readAll(empty, null, 10)).toEqual([]);
    const hostile = createFileConnector({
      path: join(fixtures, 'hostile.csv'),
      format: 'csv',
      idField: 'id',
    });
    expect((await hostile.get('8'))?.data).toMatchObject({ name: 'Indra' });
    expect(await hostile.get('5')).toBeNull();
  });

  it.each([
    ['id,name,name\n1,a,b\n', /duplicate column name "name"/],
    ['key,name\n1,a\n', /has no column "id"/],
    ['"id,name\n', /line 1\): unterminated quoted field/],
  ])('refuses a bad header with SOURCE_INVALID: %j', async (content, message) => {
    const path = await tempFile(content, 'csv');
    const err = await catchError(() => itemsOf(path, 'csv'));
    expect(isCrmError(err, 'SOURCE_INVALID'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('refuses a missing file and a bad delimiter with SOURCE_INVALID', async () => {
    const err = await catchError(() => itemsOf(join(dir, 'missing.csv'), 'csv'));
    expect(isCrmError(err, 'SOURCE_INVALID'), String(err)).toBe(true);
    expect((err as Error).message).toContain('ENOENT');
    expect(() =>
      createFileConnector({ path: 'x.csv', format: 'csv', idField: 'id', delimiter: '"' }),
    ).toThrow(/delimiter must be one ASCII character/);
  });
});

describe('jsonl file connector', () => {
  it('reads every good line of a hostile file and rejects each bad one at its line', async () => {
    expect(await itemsOf(join(fixtures, 'hostile.jsonl'), 'jsonl', 3)).toEqual([
      ok('1', { id: '1', name: 'Ann' }),
      ok('2', { id: 2, name: 'Budi', tags: ['a', 'b'] }),
      bad(4, 'invalid JSON'),
      bad(5, 'expected a JSON object, found an array'),
      bad(6, 'expected a JSON object, found a string'),
      bad(7, 'expected a JSON object, found null'),
      bad(8, 'id field "id" is missing'),
      bad(9, 'id field "id" is not a string or number'),
      bad(10, 'invalid UTF-8'),
      ok('5', { id: '5', name: 'Eko ✓' }),
    ]);
  });

  it('rejects a line over 1 MiB and goes on', async () => {
    const path = await tempFile(
      `{"id":"1"}\n{"id":"2","x":"${'z'.repeat(1024 * 1024)}"}\n{"id":"3"}\n`,
      'jsonl',
    );
    expect(await itemsOf(path, 'jsonl')).toEqual([
      ok('1', { id: '1' }),
      bad(2, 'record is larger than 1048576 bytes'),
      ok('3', { id: '3' }),
    ]);
  });
});
