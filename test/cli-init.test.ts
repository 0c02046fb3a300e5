import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnections } from '../src/config/index.ts';
import { createMysqlPool } from '../src/crm/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import { cliEnv, readable, runCli } from './helpers/cli.ts';
import { API_KEY, deletePrefix, MYSQL_URL, PG_URL, privateStore } from './helpers/env.ts';

/** A new CRM table, as someone's own schema names it; `sql` runs statements against its database. */
interface NewTable {
  url: string;
  /** `--table` (and `--schema`) to give init. */
  args: string[];
  sql(statement: string): Promise<void>;
  drop(): Promise<void>;
}

async function postgresTable(columns: string, rows: string[]): Promise<NewTable> {
  const schema = `init_${randomUUID().slice(0, 8)}`;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
  await client.query(`CREATE TABLE pelanggan (${columns})`);
  for (const row of rows) await client.query(row);
  return {
    url: PG_URL,
    args: ['--table', 'pelanggan', '--schema', schema],
    sql: async (statement) => {
      await client.query(statement);
    },
    async drop() {
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    },
  };
}

async function mariadbTable(columns: string, rows: string[]): Promise<NewTable> {
  const table = `pelanggan_${randomUUID().slice(0, 8)}`;
  const pool = createMysqlPool({ url: MYSQL_URL }, '/');
  const named = (sql: string) => sql.replace(/\bpelanggan\b/g, table);
  await pool.query(named(`CREATE TABLE pelanggan (${columns}) DEFAULT CHARSET = utf8mb4`));
  for (const row of rows) await pool.query(named(row));
  return {
    url: MYSQL_URL,
    args: ['--table', table, '--connection', 'pelanggan'],
    sql: async (statement) => {
      await pool.query(named(statement));
    },
    async drop() {
      await pool.query(`DROP TABLE IF EXISTS \`${table}\``);
      await pool.end();
    },
  };
}

const COLUMNS = {
  postgres:
    'id serial PRIMARY KEY, nama_lengkap text, no_hp text, surel text, perusahaan text, label text, kota text, ' +
    'diperbarui_pada timestamptz NOT NULL DEFAULT now()',
  mariadb:
    'id INT AUTO_INCREMENT PRIMARY KEY, nama_lengkap VARCHAR(100), no_hp VARCHAR(30), surel VARCHAR(100), ' +
    'perusahaan VARCHAR(100), label VARCHAR(100), kota VARCHAR(50), ' +
    'diperbarui_pada DATETIME(6) NOT NULL DEFAULT NOW(6) ON UPDATE NOW(6), KEY (diperbarui_pada)',
};

/** Twelve customers in the phone formats CRMs hold, the last one's phone invalid. */
const CUSTOMERS = Array.from({ length: 12 }, (_, i) => {
  const phone =
    i === 11
      ? '12345'
      : ['0812-3456-%', '+62 813 5555 %', '62857100%'][i % 3]?.replace('%', String(1000 + i));
  return (
    'INSERT INTO pelanggan (nama_lengkap, no_hp, surel, perusahaan, label, kota) VALUES ' +
    `('Pelanggan ${i}', '${phone}', 'pelanggan${i}@contoh.co.id', 'PT Contoh ${i % 3}', 'vip;grosir', 'Bandung')`
  );
});

interface Deployment {
  sandbox: Sandbox;
  dir: string;
  configPath: string;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/** Sahut (the sandbox), a SQLite store, a private queue prefix, and an empty folder for the files init writes. */
async function deployment(label: string): Promise<Deployment> {
  const { sandbox, baseUrl } = await startSandbox({ apiKey: API_KEY });
  const store = await privateStore('sqlite');
  await store.store.close();
  const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-init-'));
  const configPath = join(dir, 'sahut-sync.yaml');
  const env = cliEnv({ storeEnv: store.env, baseUrl, label, configPath });
  return {
    sandbox,
    dir,
    configPath,
    env,
    async dispose() {
      await sandbox.close();
      await store.dispose();
      await rm(dir, { recursive: true, force: true });
      await deletePrefix(env.QUEUE_PREFIX);
    },
  };
}

describe.each([
  ['postgres', postgresTable],
  ['mariadb', mariadbTable],
] as const)(
  'init on a new %s table, then doctor and run --once: a first sync without editing a file',
  (kind, make) => {
    let table: NewTable;
    let d: Deployment;

    beforeAll(async () => {
      table = await make(COLUMNS[kind], CUSTOMERS);
      d = await deployment(`init-${kind}`);
    });
    afterAll(async () => {
      await table?.drop();
      await d?.dispose();
    });

    it('guesses from Indonesian column names, writes files that load, and refuses to overwrite them', async () => {
      const init = await runCli(['init', '--url', table.url, ...table.args], d.env);
      expect(init.code, init.output).toBe(0);
      for (const [field, column] of [
        ['email', 'surel'],
        ['phone', 'no_hp'],
        ['name', 'nama_lengkap'],
        ['company', 'perusahaan'],
        ['tags', 'label'],
        ['id', 'id'],
        ['cursor', 'diperbarui_pada'],
      ])
        expect(init.output).toMatch(new RegExp(`^ {4}${field} +← ${column} `, 'm'));
      expect(init.output).toMatch(
        /phone +← no_hp +named like a phone; 11 of 12 sampled values are valid phones/,
      );
      expect(init.output).toMatch(/not read: kota/);
      expect(init.output).toMatch(
        kind === 'postgres' ? /NOT indexed/ : /diperbarui_pada +timestamp .*; indexed/,
      );
      expect(init.output).toMatch(/sahut-sync run --once --dry-run --connection pelanggan/);

      const mappingPath = join(d.dir, 'pelanggan.mapping.yaml');
      const [connection] = loadConnections(d.configPath, {});
      expect(connection?.name).toBe('pelanggan');
      expect(connection?.source).toMatchObject({ idColumn: 'id', cursorColumn: 'diperbarui_pada' });
      expect(connection?.mapping.fields.find((f) => f.key === 'tags')).toMatchObject({
        from: ['label'],
        separator: ';',
      });

      const before = [await readFile(mappingPath, 'utf8'), await readFile(d.configPath, 'utf8')];
      await writeFile(mappingPath, `${before[0]}# my edit\n`);
      const again = await runCli(['init', '--url', table.url, ...table.args], d.env);
      expect(again.code).toBe(64);
      expect(readable(again.output)).toMatch(
        /Not overwriting: .*pelanggan\.mapping\.yaml exists; .* already has a connection "pelanggan"/,
      );
      expect(await readFile(mappingPath, 'utf8')).toBe(`${before[0]}# my edit\n`);
      expect(await readFile(d.configPath, 'utf8')).toBe(before[1]);

      const forced = await runCli(['init', '--url', table.url, ...table.args, '--force'], d.env);
      expect(forced.code, forced.output).toBe(0);
      expect(forced.output).toMatch(/replaced connection "pelanggan"/);
      expect(await readFile(mappingPath, 'utf8')).toBe(before[0]);
    });

    it('doctor passes, the dry run plans the creates, and run --once syncs the table', async () => {
      const doctor = await runCli(['doctor', '--connection', 'pelanggan'], d.env);
      expect(doctor.code, doctor.output).toBe(0);
      expect(doctor.output).toMatch(/^ {2}ok {4}columns +all 7 columns the connection uses exist$/m);

      const dry = await runCli(['run', '--once', '--dry-run', '--connection', 'pelanggan'], d.env);
      expect(dry.code, dry.output).toBe(0);
      expect(dry.output).toMatch(/plan: 11 created, 1 rejected/);
      expect(d.sandbox.contacts()).toHaveLength(0);

      const run = await runCli(['run', '--once', '--connection', 'pelanggan'], d.env);
      // One record has an invalid phone: the run reports it and exits 1, as documented.
      expect(run.code, run.output).toBe(1);
      expect(readable(run.output)).toMatch(/invalid phone "12345"/);
      const contacts = d.sandbox.contacts();
      expect(contacts).toHaveLength(11);
      expect(contacts.find((c) => c.email === 'pelanggan0@contoh.co.id')).toMatchObject({
        name: 'Pelanggan 0',
        phone: '+6281234561000',
        company: 'PT Contoh 0',
        tags: ['vip', 'grosir'],
      });
    });
  },
);

describe('init on a table whose column names say nothing', () => {
  let table: NewTable;
  let d: Deployment;

  beforeAll(async () => {
    table = await postgresTable(
      'kode text PRIMARY KEY, c1 text, c2 text, c3 text, c4 integer, ts timestamptz NOT NULL DEFAULT now()',
      Array.from(
        { length: 6 },
        (_, i) =>
          `INSERT INTO pelanggan (kode, c1, c2, c3, c4) VALUES ('K${i}', 'Orang ${i}', '0813-1111-${2000 + i}', 'orang${i}@contoh.co.id', ${i})`,
      ),
    );
    d = await deployment('init-blind');
  });
  afterAll(async () => {
    await table?.drop();
    await d?.dispose();
  });

  it('writes nothing and names the flags it needs, then takes them and syncs', async () => {
    const blind = await runCli(['init', '--url', table.url, ...table.args], d.env);
    expect(blind.code).toBe(64);
    expect(readable(blind.output)).toMatch(
      /Could not tell:\n {2}- the cursor column: no timestamp named like a last-change time \(ts\)/,
    );
    expect(readable(blind.output)).toMatch(/\n {2}- the name: .*\n {4}give it with --field name=<column>/);
    expect(readable(blind.output)).toMatch(
      /Columns of init_\w+\.pelanggan: kode \(text\), c1 \(text\), c2 \(text\), c3 \(text\), c4 \(integer\)/,
    );
    expect(readable(blind.output)).toMatch(/Nothing was written/);
    // Phones and emails were still found by their values, marked to be checked.
    expect(readable(blind.output)).toMatch(
      /^ {2}\? phone +← c2 +its values: 6 of 6 sampled values are valid phones$/m,
    );
    expect(existsSync(d.configPath)).toBe(false);

    const unknown = await runCli(['init', '--url', table.url, ...table.args, '--field', 'name=nama'], d.env);
    expect(unknown.code).toBe(64);
    expect(readable(unknown.output)).toMatch(/has no column "nama"; its columns: kode, c1, c2, c3, c4, ts/);

    const told = ['--field', 'name=c1', '--cursor-column', 'ts', '--connection', 'orang'];
    const init = await runCli(['init', '--url', table.url, ...table.args, ...told], d.env);
    expect(init.code, init.output).toBe(0);
    expect(init.output).toMatch(/^ {4}name +← c1 +given with --field$/m);
    expect(init.output).toMatch(/^ {4}id +← kode +primary key$/m);
    expect(await readFile(join(d.dir, 'orang.mapping.yaml'), 'utf8')).toMatch(
      /# its values: 6 of 6 sampled values are valid phones \(check\)\n {2}phone: \{ from: c2, owner: crm \}/,
    );

    expect((await runCli(['doctor', '--connection', 'orang'], d.env)).code).toBe(0);
    const run = await runCli(['run', '--once', '--connection', 'orang'], d.env);
    expect(run.code, run.output).toBe(0);
    expect(
      d.sandbox
        .contacts()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['Orang 0', 'Orang 1', 'Orang 2', 'Orang 3', 'Orang 4', 'Orang 5']);
  });
});

describe('init on a CSV export', () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await deployment('init-csv');
  });
  afterAll(() => d?.dispose());

  it('guesses from English headers, writes a file source relative to the connections file, and syncs it', async () => {
    const csv = join(d.dir, 'exports', 'Customers.csv');
    await mkdir(join(d.dir, 'exports'));
    await writeFile(
      csv,
      'Customer ID,First Name,Last Name,Mobile,E-mail,Company,Segment\n' +
        'C1,Budi,Santoso,0812 3456 7001,budi@example.com,PT A,vip|reseller\n' +
        'C2,Siti,Rahma,+62 813 5555 7002,siti@example.com,PT B,prospect\n',
    );
    const init = await runCli(['init', '--file', csv], d.env);
    expect(init.code, init.output).toBe(0);
    expect(init.output).toMatch(/^ {4}name +← First Name \+ Last Name +first and last name columns$/m);
    expect(init.output).toMatch(/^ {4}id +← Customer ID +named like an id, unique in the sample$/m);
    expect(init.output).toMatch(/^ {4}tags +← Segment +named like tags; split on "\|"$/m);
    expect(loadConnections(d.configPath, {})[0]?.source).toMatchObject({
      type: 'file',
      path: csv,
      idField: 'Customer ID',
    });
    expect(await readFile(d.configPath, 'utf8')).toMatch(/path: exports\/Customers\.csv/);

    const doctor = await runCli(['doctor', '--connection', 'customers'], d.env);
    expect(doctor.code, doctor.output).toBe(0);
    expect(doctor.output).toMatch(/^ {2}ok {4}columns +all 7 columns the connection uses exist$/m);
    const run = await runCli(['run', '--once', '--connection', 'customers'], d.env);
    expect(run.code, run.output).toBe(0);
    expect(d.sandbox.contacts().find((c) => c.email === 'budi@example.com')).toMatchObject({
      name: 'Budi Santoso',
      phone: '+6281234567001',
      tags: ['vip', 'reseller'],
    });
  });
});

describe('init with a password in the URL', () => {
  let table: NewTable;
  let d: Deployment;
  beforeAll(async () => {
    table = await postgresTable(COLUMNS.postgres, CUSTOMERS.slice(0, 2));
    d = await deployment('init-secret');
  });
  afterAll(async () => {
    await table?.drop();
    await d?.dispose();
  });

  it(`writes the URL with \${SHOP_DB_PASSWORD} in its place, and the connection loads once it is set`, async () => {
    // The local PostgreSQL trusts every connection: any password reads the table.
    const password = 's3cr%40t-pw';
    const url = PG_URL.replace('postgres@', `postgres:${password}@`);
    const init = await runCli(['init', '--url', url, ...table.args, '--connection', 'shop'], d.env);
    expect(init.code, init.output).toBe(0);
    expect(init.output).toMatch(/Set SHOP_DB_PASSWORD in the environment or \.env, as written in the URL/);
    expect(init.output).not.toContain('s3cr');
    const written = await readFile(d.configPath, 'utf8');
    expect(written).toContain(`url: postgres://postgres:\${SHOP_DB_PASSWORD}@127.0.0.1:5432/test`);
    expect(written).not.toContain('s3cr');

    const unset = await runCli(['doctor'], d.env);
    expect(unset.code).toBe(1);
    expect(readable(unset.output)).toMatch(
      /\$\{SHOP_DB_PASSWORD\} is not set — set SHOP_DB_PASSWORD in the environment or \.env/,
    );
    const set = await runCli(['doctor'], { ...d.env, SHOP_DB_PASSWORD: password });
    expect(set.code, set.output).toBe(0);
    expect(set.output).not.toContain('s3cr');
  });
});
