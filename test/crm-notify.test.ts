import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { RowDataPacket } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnections } from '../src/config/index.ts';
import { createMysqlPool, sourceSchema, triggerSql } from '../src/crm/index.ts';
import { createLogger } from '../src/log/index.ts';
import { createChangeRuns } from '../src/queue/index.ts';
import { claimConnection, releaseConnection } from '../src/queue/runs/run-guard.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import type { Store } from '../src/store/index.ts';
import { type CsvCrm, csvCrm, runCli, spawnCli } from './helpers/cli.ts';
import { loadDemoCrm } from './helpers/crm-tables.ts';
import { type Node, runOnce, startNode } from './helpers/engine.ts';
import {
  API_KEY,
  deletePrefix,
  dropSchema,
  MYSQL_URL,
  PG_URL,
  privateStore,
  REDIS_URL,
  testConfig,
  uniqueName,
  until,
} from './helpers/env.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/** One CRM database with the compose demo table `contacts`, for a `notify: true` connection. */
interface Crm {
  /** The `source:` of the connection, as YAML flow. */
  source: string;
  /** Runs statements in one transaction. */
  transaction(statements: string[]): Promise<void>;
  /** An UPDATE of one row's company that bumps its cursor column. */
  setCompany(id: number, company: string): string;
  /** A hard DELETE of one row. */
  deleteRow(id: number): string;
  /** How many sahut-sync triggers the table has. */
  triggers(): Promise<number>;
  dispose(): Promise<void>;
}

async function postgresCrm(): Promise<Crm> {
  const schema = uniqueName('crmn').replace(/-/g, '_');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await loadDemoCrm(client, schema);
  return {
    source: `{ type: postgres, url: "${PG_URL}", schema: ${schema}, table: contacts, notify: true }`,
    async transaction(statements) {
      await client.query('BEGIN');
      for (const sql of statements) await client.query(sql);
      await client.query('COMMIT');
    },
    setCompany: (id, company) =>
      `UPDATE ${schema}.contacts SET company_name = '${company}', updated_at = clock_timestamp() WHERE id = ${id}`,
    deleteRow: (id) => `DELETE FROM ${schema}.contacts WHERE id = ${id}`,
    async triggers() {
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = '${schema}.contacts'::regclass AND tgname LIKE 'sahut_sync%'`,
      );
      return rows[0].n;
    },
    async dispose() {
      await client.end();
      await dropSchema(schema);
    },
  };
}

async function mariadbCrm(): Promise<Crm> {
  const database = uniqueName('crmn').replace(/-/g, '_');
  const admin = createMysqlPool({ url: MYSQL_URL }, '/');
  await admin.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
  const url = MYSQL_URL.replace(/\/[^/]*$/, `/${database}`);
  const pool = createMysqlPool({ url }, '/');
  // The compose profile's seed, statement by statement (it has no semicolons inside statements).
  const seed = await readFile(join(ROOT, 'config/compose/mariadb-initdb/01-demo-crm.sql'), 'utf8');
  for (const sql of seed.split(/;\s*\n/).filter((s) => s.trim() !== '')) await pool.query(sql);
  return {
    source: `{ type: mysql, url: "${url}", table: contacts, notify: true }`,
    async transaction(statements) {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        for (const sql of statements) await conn.query(sql);
        await conn.commit();
      } finally {
        conn.release();
      }
    },
    // ON UPDATE CURRENT_TIMESTAMP(6) bumps updated_at, as the CRM's own schema says.
    setCompany: (id, company) => `UPDATE contacts SET company_name = '${company}' WHERE id = ${id}`,
    deleteRow: (id) => `DELETE FROM contacts WHERE id = ${id}`,
    async triggers() {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND EVENT_OBJECT_TABLE = 'contacts'`,
        [database],
      );
      return Number(rows[0]?.n);
    },
    async dispose() {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    },
  };
}

const emailOf = {
  postgres: (id: number) => `customer${id}@example.co.id`,
  mariadb: (id: number) => `maria${id}@example.co.id`,
};

describe.each([
  ['postgres', postgresCrm],
  ['mariadb', mariadbCrm],
] as const)(
  'source.notify on %s: CRM changes reach Sahut in seconds, with no scheduled run',
  (kind, makeCrm) => {
    const prefix = uniqueName('notify');
    let crm: Crm;
    let files: CsvCrm;
    let sandbox: Sandbox;
    let store: Store;
    let disposeStore: () => Promise<void>;
    let node: Node;
    let changeRuns: ReturnType<typeof createChangeRuns>;
    let env: Record<string, string>;

    const company = (id: number) => sandbox.contacts().find((c) => c.email === emailOf[kind](id))?.company;
    const runJobs = async (states: Parameters<Node['rt']['queues']['runs']['getJobs']>[0]) =>
      (await node.rt.queues.runs.getJobs(states)).filter((j) => j.name === 'run');
    const notifyRuns = async () =>
      (await runJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'waiting-children'])).filter(
        (j) => j.data.trigger === 'notify',
      );
    const idle = async () =>
      (await runJobs(['active', 'waiting', 'delayed', 'waiting-children', 'prioritized'])).length === 0;

    beforeAll(async () => {
      crm = await makeCrm();
      files = await csvCrm();
      await writeFile(
        files.configPath,
        [
          'connections:',
          '  crm:',
          `    source: ${crm.source}`,
          `    mapping: ${join(ROOT, 'config/mapping.example.yaml')}`,
        ].join('\n'),
      );
      const started = await startSandbox({ apiKey: API_KEY });
      sandbox = started.sandbox;
      const s = await privateStore('sqlite');
      ({ store, dispose: disposeStore } = s);
      env = {
        ...s.env,
        SAHUT_BASE_URL: started.baseUrl,
        QUEUE_PREFIX: prefix,
        SYNC_CONFIG: files.configPath,
      };
      const connections = loadConnections(files.configPath);
      node = startNode(testConfig(env), store, connections);
      await runOnce(node);

      // The trigger is installed only by the explicit command, which prints what it runs.
      const cli = await runCli(['crm', 'install-trigger', '--connection', 'crm'], {
        ...env,
        REDIS_URL,
        SAHUT_API_KEY: API_KEY,
      });
      expect(cli.output).toMatch(
        kind === 'postgres' ? /CREATE TRIGGER "sahut_sync_crm"/ : /CREATE TRIGGER `sahut_sync_crm_upd`/,
      );
      expect(cli.output).toContain('-- trigger of crm installed');
      expect(cli.code).toBe(0);

      changeRuns = createChangeRuns(node.rt, createLogger({ level: 'silent' }), {
        debounceMs: 300,
        pollIntervalMs: 200,
        baseDir: files.dir,
      });
      await changeRuns.apply(connections);
      await changeRuns.ready();
    });

    afterAll(async () => {
      await changeRuns?.close();
      await node?.close();
      await sandbox?.close();
      await disposeStore?.();
      await files?.dispose();
      await crm?.dispose();
      await deletePrefix(prefix);
    });

    it('an UPDATE in the CRM table reaches the sandbox within seconds', async () => {
      expect(await node.rt.queues.runs.getJobSchedulers()).toEqual([]);
      const before = sandbox.counts()['PUT /contacts/:id'] ?? 0;
      const start = Date.now();
      await crm.transaction([crm.setCompany(7, 'PT Notify')]);
      await until(() => company(7) === 'PT Notify', 15_000, 'the change in the sandbox');
      expect(Date.now() - start).toBeLessThan(10_000);
      expect(sandbox.counts()['PUT /contacts/:id']).toBe(before + 1);
      const runs = await runJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'waiting-children']);
      expect(runs.filter((j) => j.data.trigger === 'schedule')).toEqual([]);
      expect((await notifyRuns()).length).toBeGreaterThanOrEqual(1);
    });

    it('1,000 updates in one transaction make at most a few runs', async () => {
      await until(idle, 15_000, 'no run in flight');
      const runsBefore = (await notifyRuns()).length;
      const putsBefore = sandbox.counts()['PUT /contacts/:id'] ?? 0;
      const statements = Array.from({ length: 1000 }, (_, i) => crm.setCompany((i % 20) + 1, `Burst ${i}`));
      await crm.transaction(statements);
      // The last of the 1,000 statements that set each row.
      const last = (id: number) => 980 + id - 1;
      await until(
        () => Array.from({ length: 20 }, (_, k) => k + 1).every((id) => company(id) === `Burst ${last(id)}`),
        20_000,
        'the burst in the sandbox',
      );
      await until(idle, 15_000, 'the runs to end');
      const runs = (await notifyRuns()).length - runsBefore;
      expect(runs).toBeGreaterThanOrEqual(1);
      expect(runs).toBeLessThanOrEqual(3);
      // One PUT per changed contact: the runs re-read unchanged rows for free.
      expect((sandbox.counts()['PUT /contacts/:id'] ?? 0) - putsBefore).toBe(20);
    });

    it('a change run that finds a run of the connection going waits its turn instead of being skipped', async () => {
      await until(idle, 15_000, 'no run in flight');
      // Another run holds the connection (a live job that will not run by itself).
      const holder = await node.rt.queues.runs.add('hold', {}, { delay: 3_600_000 });
      expect(await claimConnection(node.rt, 'crm', holder.id as string)).toBeNull();
      await crm.transaction([crm.setCompany(9, 'PT Waited')]);
      let waiting: Job | undefined;
      await until(
        async () => {
          waiting = (await notifyRuns()).find((j) => j.attemptsStarted >= 1 && j.data.runId === undefined);
          return waiting !== undefined && (await waiting.getState()) === 'delayed';
        },
        15_000,
        'the change run to wait for the holder',
      );
      expect(company(9)).not.toBe('PT Waited');
      await holder.remove();
      await releaseConnection(node.rt, 'crm', holder.id as string);
      await until(() => company(9) === 'PT Waited', 15_000, 'the waiting run to sync');
      await until(
        async () => (await waiting!.getState()) === 'completed',
        15_000,
        'the change run to complete',
      );
      const done = await node.rt.queues.runs.getJob(waiting!.id as string);
      expect(done?.returnvalue).not.toHaveProperty('skippedFor');
    });

    it('a DELETE in the CRM table tags its contact within seconds (the tombstone, read by the change run)', async () => {
      await until(idle, 15_000, 'no run in flight');
      const contact = () => sandbox.contacts().find((c) => c.email === emailOf[kind](12));
      expect(contact()?.tags).toContain('crm-sync');
      const start = Date.now();
      await crm.transaction([crm.deleteRow(12)]);
      await until(() => contact()?.tags.includes('crm-deleted') ?? false, 15_000, 'the contact to be tagged');
      expect(Date.now() - start).toBeLessThan(10_000);
      expect(contact()?.tags).not.toContain('crm-sync');
      await until(idle, 15_000, 'the run to end');
      const [row] = (await store.queryAudit({ connection: 'crm', action: 'deleted', limit: 5 })).rows;
      expect(row).toMatchObject({ crmId: '12', detail: { found: 'tombstone', onCrmDelete: 'tag' } });
    });

    it('remove-trigger drops what install-trigger created', async () => {
      expect(await crm.triggers()).toBeGreaterThan(0);
      const cli = await runCli(['crm', 'remove-trigger', '--connection', 'crm'], {
        ...env,
        REDIS_URL,
        SAHUT_API_KEY: API_KEY,
      });
      expect(cli.output).toContain('DROP TRIGGER IF EXISTS');
      expect(cli.code).toBe(0);
      expect(await crm.triggers()).toBe(0);
    });
  },
);

describe('the scheduler process listens for CRM changes', () => {
  it('a `sahut-sync scheduler` started for a notify connection enqueues the run of an UPDATE', async () => {
    const prefix = uniqueName('notify-sched');
    const crm = await postgresCrm();
    const files = await csvCrm();
    const started = await startSandbox({ apiKey: API_KEY });
    const s = await privateStore('sqlite');
    let scheduler: ReturnType<typeof spawnCli> | undefined;
    let node: Node | undefined;
    try {
      await writeFile(
        files.configPath,
        `connections:\n  crm:\n    source: ${crm.source}\n    mapping: ${join(ROOT, 'config/mapping.example.yaml')}\n`,
      );
      const env = {
        ...s.env,
        SAHUT_BASE_URL: started.baseUrl,
        QUEUE_PREFIX: prefix,
        SYNC_CONFIG: files.configPath,
      };
      node = startNode(testConfig(env), s.store, loadConnections(files.configPath));
      await runOnce(node);
      expect(
        (await runCli(['crm', 'install-trigger', '--connection', 'crm'], { ...env, REDIS_URL })).code,
      ).toBe(0);

      scheduler = spawnCli(['scheduler'], { ...env, REDIS_URL, LOG_LEVEL: 'info' });
      await until(
        () => scheduler!.output().includes('watching CRM changes'),
        20_000,
        'the scheduler to listen',
      );
      await crm.transaction([crm.setCompany(5, 'PT Scheduler')]);
      await until(
        () =>
          started.sandbox.contacts().find((c) => c.email === emailOf.postgres(5))?.company === 'PT Scheduler',
        20_000,
        'the change in the sandbox',
      );
    } finally {
      scheduler?.child.kill('SIGTERM');
      await scheduler?.exited;
      await node?.close();
      await started.sandbox.close();
      await s.dispose();
      await files.dispose();
      await crm.dispose();
      await deletePrefix(prefix);
    }
  });
});

describe('trigger SQL', () => {
  it('keeps trigger names within 63 characters and distinct for long connection names', () => {
    const long = (tail: string) => `a${'x'.repeat(60)}${tail}`;
    const names = ['1', '2'].flatMap((tail) =>
      [
        triggerSql(long(tail), sourceSchema.parse({ type: 'postgres', table: 't' })),
        triggerSql(long(tail), sourceSchema.parse({ type: 'mysql', url: MYSQL_URL, table: 't' })),
      ].flatMap((sql) => sql.install.join('\n').match(/(?<=TRIGGER IF EXISTS ["`])[^"`]+/g) ?? []),
    );
    // Per connection: PostgreSQL's change and delete triggers; MySQL's insert, update, delete and tombstone ones.
    expect(names).toHaveLength(12);
    expect(new Set(names).size).toBe(12);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(63);
  });

  it('refuses a file source, which has no database to watch', () => {
    expect(() => triggerSql('crm', sourceSchema.parse({ type: 'file', path: 'a.csv' }))).toThrow(
      /only database sources have triggers/,
    );
  });
});
