import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMysqlPool } from '../src/crm/index.ts';
import { buildSandbox, type Sandbox } from '../src/sandbox/index.ts';
import { MIGRATIONS } from '../src/store/postgres/migrations.ts';
import { cliEnv, runCli } from './helpers/cli.ts';
import { MAPPING_YAML } from './helpers/engine.ts';
import {
  API_KEY,
  deletePrefix,
  dropSchema,
  MYSQL_URL,
  PG_URL,
  privateStore,
  uniqueName,
} from './helpers/env.ts';
import { scratch, sparePort } from './helpers/redis-topology.ts';

const reportSchema = z.object({
  ok: z.boolean(),
  failures: z.number(),
  warnings: z.number(),
  checks: z.array(
    z.object({
      group: z.string(),
      name: z.string(),
      status: z.enum(['ok', 'warn', 'fail']),
      detail: z.string(),
      fix: z.string().optional(),
    }),
  ),
});

/** `sahut-sync doctor --json …`: its exit code and report. */
async function doctor(env: Record<string, string>, ...args: string[]) {
  const { code, output } = await runCli(['doctor', '--json', ...args], env);
  const report = reportSchema.parse(JSON.parse(output));
  const find = (group: string, name: string) =>
    report.checks.find((c) => c.group === group && c.name === name);
  return { code, report, find, output };
}

interface Folder {
  dir: string;
  configPath: string;
  write(connections: string, files?: Record<string, string>): Promise<void>;
}

async function folder(): Promise<Folder> {
  const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-doctor-'));
  const configPath = join(dir, 'sahut-sync.yaml');
  return {
    dir,
    configPath,
    async write(connections, files = {}) {
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
      await writeFile(configPath, `connections:\n${connections}`);
    },
  };
}

/** Sahut (a sandbox sending rate-limit headers, as a real API may), a SQLite store, a private prefix. */
async function deployment(label: string, configPath: string) {
  const sandbox: Sandbox = await buildSandbox({ apiKey: API_KEY });
  sandbox.app.addHook('onSend', async (_request, reply) => {
    reply.header('x-ratelimit-limit', '600').header('x-ratelimit-remaining', '599');
  });
  const baseUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const store = await privateStore('sqlite');
  await store.store.close();
  const env = cliEnv({ storeEnv: store.env, baseUrl, label, configPath });
  return {
    env,
    async dispose() {
      await sandbox.close();
      await store.dispose();
      await deletePrefix(env.QUEUE_PREFIX);
    },
  };
}

describe('doctor: Redis, the store, Sahut and the config files', () => {
  let f: Folder;
  let d: Awaited<ReturnType<typeof deployment>>;
  let servers: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    servers = await scratch('doctor');
    f = await folder();
    await f.write('  {}\n');
    d = await deployment('doctor', f.configPath);
  });
  afterAll(async () => {
    await d?.dispose();
    await servers?.dispose();
    await rm(f.dir, { recursive: true, force: true });
  });

  it('passes on a working deployment, and reports what Sahut says of its limits', async () => {
    const { code, report, find } = await doctor(d.env);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(code).toBe(0);
    expect(find('redis', 'maxmemory-policy')).toMatchObject({ status: 'ok', detail: 'noeviction' });
    expect(find('redis', 'version')?.detail).toMatch(/^Redis \d+\.\d+/);
    expect(find('store', 'reachable')?.status).toBe('ok');
    expect(find('sahut', 'key')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/answered 200; 0 contacts$/),
    });
    expect(find('sahut', 'rate limit')?.detail).toBe(
      'Sahut says x-ratelimit-limit: 600, x-ratelimit-remaining: 599; SAHUT_RATE_LIMIT=1000/s',
    );
    expect(find('sahut', 'clock')?.detail).toMatch(/^within \d+ s of Sahut's$/);
  });

  it('finds an evicting Redis, says how to fix it, and passes once fixed', async () => {
    const port = await sparePort();
    await servers.start('evicting', port, ['maxmemory-policy allkeys-lru']);
    const env = { ...d.env, REDIS_URL: `redis://127.0.0.1:${port}` };
    const text = await runCli(['doctor'], env);
    expect(text.code).toBe(1);
    expect(text.output).toMatch(
      /^ {2}FAIL {2}maxmemory-policy +127\.0\.0\.1:\d+ has "allkeys-lru": queued jobs could be evicted, and workers refuse to start\n +fix: CONFIG SET maxmemory-policy noeviction/m,
    );
    expect(text.output).toMatch(/^ {2}warn {2}persistence +none: /m);
    expect(text.output).toMatch(/^1 to fix, 1 warning\.$/m);

    const redis = new Redis(env.REDIS_URL);
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    redis.disconnect();
    const fixed = await doctor(env);
    expect(fixed.code).toBe(0);
    expect(fixed.find('redis', 'maxmemory-policy')?.status).toBe('ok');
  });

  it('finds a wrong Sahut key without printing it', async () => {
    const key = 'sk_live_wrong_9f8e7d';
    const { code, find, output } = await doctor({ ...d.env, SAHUT_API_KEY: key });
    expect(code).toBe(1);
    expect(find('sahut', 'key')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/refused the key \(HTTP 401\)$/),
      fix: expect.stringMatching(/^check SAHUT_API_KEY/),
    });
    expect(output).not.toContain(key);
  });

  it('reports the migrations a new PostgreSQL store is waiting for, without applying them', async () => {
    const schema = uniqueName('doctor').replace(/-/g, '_');
    const { code, find } = await doctor({ ...d.env, DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema });
    expect(code).toBe(0);
    expect(find('store', 'migrations')).toMatchObject({
      status: 'warn',
      detail: `pending: ${MIGRATIONS.map((m) => `${m.id} ${m.name}`).join('; ')}`,
    });
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    await client.end();
    expect(rowCount).toBe(0);
    await dropSchema(schema);
  });

  it('names a bad setting and a broken connections file', async () => {
    const bad = await doctor({ ...d.env, WORKER_CONCURRENCY: 'many' });
    expect(bad.code).toBe(1);
    expect(bad.find('config', 'environment')?.detail).toMatch(/WORKER_CONCURRENCY: expected number/);

    const broken = await folder();
    await broken.write('  crm:\n    source: { type: file, path: x.csv }\n    mapping: m.yaml\n', {
      'm.yaml': 'fields:\n  phone: { from: hp, owner: nobody }\n',
    });
    const report = await doctor({ ...d.env, SYNC_CONFIG: broken.configPath });
    expect(report.code).toBe(1);
    expect(report.find('config', 'connections file')?.detail).toMatch(
      /m\.yaml:\n {2}fields\.phone\.owner: expected one of crm, sahut, both/,
    );
    expect(report.find('redis', 'reachable')?.status).toBe('ok');
    await rm(broken.dir, { recursive: true, force: true });
  });
});

/** A CRM `contacts` table with MAPPING_YAML's columns in a private schema or database, and no index on updated_at. */
interface Table {
  source: string;
  /** The source's URL for a user `user` (no password: the local servers trust or have none). */
  urlFor(user: string): string;
  sql(statement: string): Promise<void>;
  /** Creates a user that may only read the table. */
  readOnlyUser(): Promise<string>;
  drop(): Promise<void>;
}

async function postgresTable(): Promise<Table> {
  const schema = uniqueName('dr').replace(/-/g, '_');
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(
    `CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.contacts (id serial PRIMARY KEY, name text, phone text, email text,
     company text, tags text, tier text, updated_at timestamptz NOT NULL DEFAULT now())`,
  );
  const roles: string[] = [];
  const urlFor = (user: string) => PG_URL.replace('postgres@', `${user}@`);
  return {
    source: `{ type: postgres, url: "${PG_URL}", schema: ${schema}, table: contacts }`,
    urlFor,
    sql: async (statement) => {
      await admin.query(statement);
    },
    async readOnlyUser() {
      const role = `${schema}_ro`;
      roles.push(role);
      await admin.query(`CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA ${schema} TO ${role};
        GRANT SELECT ON ${schema}.contacts TO ${role}`);
      return role;
    },
    async drop() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      for (const role of roles) await admin.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      await admin.end();
    },
  };
}

async function mariadbTable(): Promise<Table> {
  const database = uniqueName('dr').replace(/-/g, '_');
  const admin = createMysqlPool({ url: MYSQL_URL }, '/');
  await admin.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
  const urlFor = (user: string) => MYSQL_URL.replace('root@', `${user}@`).replace(/\/test$/, `/${database}`);
  const pool = createMysqlPool({ url: urlFor('root') }, '/');
  await pool.query(
    `CREATE TABLE contacts (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200), phone VARCHAR(64), email VARCHAR(200),
     company VARCHAR(200), tags VARCHAR(500), tier VARCHAR(50), updated_at DATETIME(6) NOT NULL DEFAULT NOW(6))`,
  );
  const users: string[] = [];
  return {
    source: `{ type: mysql, url: "${urlFor('root')}", table: contacts }`,
    urlFor,
    sql: async (statement) => {
      await pool.query(statement);
    },
    async readOnlyUser() {
      const user = `${database.slice(0, 20)}_ro`;
      users.push(user);
      await admin.query(`CREATE USER '${user}'@'%'`);
      await admin.query(`GRANT SELECT ON ${database}.contacts TO '${user}'@'%'`);
      return user;
    },
    async drop() {
      await pool.end();
      for (const user of users) await admin.query(`DROP USER '${user}'@'%'`);
      await admin.query(`DROP DATABASE ${database}`);
      await admin.end();
    },
  };
}

describe.each([
  ['postgres', postgresTable],
  ['mariadb', mariadbTable],
] as const)('doctor on a %s connection', (_kind, make) => {
  let table: Table;
  let f: Folder;
  let d: Awaited<ReturnType<typeof deployment>>;
  beforeAll(async () => {
    table = await make();
    f = await folder();
    d = await deployment(`doctor-${_kind}`, f.configPath);
  });
  afterAll(async () => {
    await d?.dispose();
    await table?.drop();
    await rm(f.dir, { recursive: true, force: true });
  });

  it('finds a missing column, an unindexed cursor column and a missing trigger; each fix it names works', async () => {
    const source = table.source.replace(/ }$/, '');
    await f.write(
      [
        `  crm:\n    source: ${table.source}\n    mapping: mapping.yaml\n    directions: [crm-to-sahut, sahut-to-crm]`,
        `  broken:\n    source: ${table.source}\n    mapping: broken.yaml`,
        `  watched:\n    source: ${source}, notify: true }\n    mapping: mapping.yaml`,
        '',
      ].join('\n'),
      {
        'mapping.yaml': MAPPING_YAML,
        'broken.yaml':
          'fields:\n  name: { from: name }\n  phone: { from: no_hp }\n  company: { from: perusahaan }\n',
      },
    );
    const first = await doctor(d.env);
    expect(first.code).toBe(1);
    expect(first.find('connection crm', 'columns')).toMatchObject({
      status: 'ok',
      detail: 'all 8 columns the connection uses exist',
    });
    expect(first.find('connection crm', 'write permission')?.status).toBe('ok');
    expect(first.find('connection broken', 'columns')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /has no column "no_hp" \(fields\.phone\), "perusahaan" \(fields\.company\)$/,
      ),
    });
    const index = first.find('connection crm', 'cursor index');
    expect(index).toMatchObject({
      status: 'warn',
      detail: 'updated_at has no index: every run scans the whole table',
    });
    const trigger = first.find('connection watched', 'notify trigger');
    expect(trigger).toMatchObject({
      status: 'fail',
      fix: 'sahut-sync crm install-trigger --connection watched (or set notify: false)',
    });

    await table.sql(index?.fix as string);
    const install = await runCli(['crm', 'install-trigger', '--connection', 'watched'], d.env);
    expect(install.code, install.output).toBe(0);
    const fixed = await doctor(d.env, '--connection', 'watched');
    expect(fixed.code).toBe(0);
    expect(fixed.find('connection watched', 'notify trigger')).toMatchObject({
      status: 'ok',
      detail: 'installed',
    });
    expect(fixed.find('connection watched', 'cursor index')?.status).toBe('ok');
    expect(
      fixed.report.checks.some((c) => c.group.startsWith('connection') && c.group !== 'connection watched'),
    ).toBe(false);
    const removed = await runCli(['crm', 'remove-trigger', '--connection', 'watched'], d.env);
    expect(removed.code).toBe(0);
  });

  it('finds that the user of a two-way connection may not write, and names the grant that fixes it', async () => {
    const user = await table.readOnlyUser();
    const readOnly = table.source.replace(/url: "[^"]*"/, `url: "${table.urlFor(user)}"`);
    await f.write(
      `  ro:\n    source: ${readOnly}\n    mapping: mapping.yaml\n    directions: [crm-to-sahut, sahut-to-crm]\n`,
      { 'mapping.yaml': MAPPING_YAML },
    );
    const denied = await doctor(d.env);
    expect(denied.code).toBe(1);
    const check = denied.find('connection ro', 'write permission');
    expect(check).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/^GRANT UPDATE \(.*updated_at.*\) ON .*contacts.* TO /),
    });
    await table.sql(check?.fix as string);
    const granted = await doctor(d.env);
    expect(granted.find('connection ro', 'write permission')).toMatchObject({
      status: 'ok',
      detail: 'may update name, phone, email, company, tags, tier, updated_at',
    });
  });
});
