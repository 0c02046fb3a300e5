import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSandbox, type Sandbox } from '../src/sandbox/index.ts';
import type { Store } from '../src/store/index.ts';
import { type CliProcess, cliEnv, runCli, spawnCli } from './helpers/cli.ts';
import { type CrmKind, type CrmTable, crmTable } from './helpers/crm-tables.ts';
import { MAPPING_YAML } from './helpers/engine.ts';
import { API_KEY, deletePrefix, privateStore } from './helpers/env.ts';

const WALK_INS = 40;

/**
 * Walk-ins with real processes: two `worker`s and two `run --once` scans of
 * two connections that write one CRM table (the run guard keeps one run per
 * connection, so this is how two scans meet), all sharing Redis and a
 * PostgreSQL store. One CRM row per contact, however the jobs interleave.
 */
describe.each<CrmKind>(['postgres', 'mariadb'])('walk-ins with two worker processes (%s table)', (kind) => {
  let sandbox: Sandbox;
  let crm: CrmTable;
  let store: Store;
  let disposeStore: () => Promise<void>;
  let dir: string;
  let env: Record<string, string>;
  const processes: CliProcess[] = [];

  afterEach(async () => {
    for (const p of processes.splice(0)) {
      if (p.child.exitCode === null) p.child.kill('SIGTERM');
      await p.exited;
    }
    await sandbox.close();
    await crm.drop();
    await disposeStore();
    await rm(dir, { recursive: true, force: true });
    await deletePrefix(env.QUEUE_PREFIX as string);
  });

  it('creates each tagged contact once, with both connections linked to it', async () => {
    // Each walk-in starts with a GET of its contact: slowed down, the two scans' jobs overlap.
    const slowGet = { route: 'GET /contacts/:id', every: 1, action: { delayMs: 20 } };
    sandbox = await buildSandbox({ apiKey: API_KEY, faults: { rules: [slowGet] } });
    const baseUrl = await sandbox.listen();
    sandbox.seed(
      Array.from({ length: WALK_INS }, (_, i) => ({
        name: `Walk-in ${i}`,
        phone: `+62813${String(60_000_000 + i)}`,
        tags: ['lead'],
      })),
    );
    sandbox.seed([{ name: 'Not a lead', phone: '+6281370000000', tags: [] }]);
    crm = await crmTable(kind);
    const s = await privateStore('postgres');
    ({ store, dispose: disposeStore } = s);
    dir = await mkdtemp(join(tmpdir(), 'sahut-sync-walkins-'));
    await writeFile(join(dir, 'mapping.yaml'), MAPPING_YAML);
    const source = JSON.stringify(crm.source);
    const conn = (name: string) =>
      [
        `  ${name}:`,
        `    source: ${source}`,
        '    mapping: mapping.yaml',
        '    directions: [crm-to-sahut, sahut-to-crm]',
        '    options: { createInCrm: { tags: [lead], defaults: { status: new } } }',
      ].join('\n');
    await writeFile(join(dir, 'sahut-sync.yaml'), `connections:\n${conn('a')}\n${conn('b')}\n`);
    env = {
      ...cliEnv({ storeEnv: s.env, baseUrl, label: 'walkins', configPath: join(dir, 'sahut-sync.yaml') }),
      WORKER_CONCURRENCY: '4',
      LOG_LEVEL: 'warn',
    };
    const start = (args: string[]) => {
      const p = spawnCli(args, env);
      processes.push(p);
      return p;
    };
    start(['worker']);
    start(['worker']);
    const scans = ['a', 'b'].map((c) =>
      start(['run', '--once', '--connection', c, '--direction', 'sahut-to-crm']),
    );
    const ends = await Promise.all(scans.map((p) => p.exited));
    expect(
      ends.map((e) => e.code),
      scans.map((p) => p.output()).join('\n'),
    ).toEqual([0, 0]);

    const rows = await crm.rows();
    expect(rows).toHaveLength(WALK_INS);
    expect(new Set(rows.map((r) => r.phone)).size).toBe(WALK_INS);
    expect(rows.every((r) => r.status === 'new')).toBe(true);
    const ids = rows.map((r) => r.id);
    const [a, b] = await Promise.all([store.getLinks('a', ids), store.getLinks('b', ids)]);
    expect([a.size, b.size]).toEqual([WALK_INS, WALK_INS]);
    for (const id of ids) expect(a.get(id)?.sahutId).toBe(b.get(id)?.sahutId);
    const runs = await store.listRuns({ limit: 10 });
    const sum = (action: 'created' | 'linked') => runs.reduce((n, r) => n + (r.counts[action] ?? 0), 0);
    expect([sum('created'), sum('linked')]).toEqual([WALK_INS, WALK_INS]);

    // Never a second time; and the CRM→Sahut run finds every new row already linked.
    sandbox.resetCounts();
    const again = await runCli(['run', '--once', '--connection', 'a', '--direction', 'both'], env);
    expect(again.code, again.output).toBe(0);
    expect(await crm.rows()).toHaveLength(WALK_INS);
    expect(sandbox.counts()).toEqual({ 'GET /contacts': 1 });
  });
});
