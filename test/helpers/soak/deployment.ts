import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConnections } from '../../../src/config/index.ts';
import { createMysqlPool } from '../../../src/crm/index.ts';
import { buildSandbox, type Sandbox } from '../../../src/sandbox/index.ts';
import type { Store } from '../../../src/store/index.ts';
import type { Random } from '../chaos/schedule.ts';
import { runCli } from '../cli.ts';
import { API_KEY, deletePrefix, MYSQL_URL, privateStore, REDIS_URL, uniqueName } from '../env.ts';
import type { SoakCrm } from './editor.ts';
import { installJournal, type Journal } from './journal.ts';
import { type SoakKind, type SoakTable, soakTable } from './tables.ts';

export interface SoakDeployment {
  sandbox: Sandbox;
  journal: Journal;
  baseUrl: string;
  /** The test's own view of the store (the processes open theirs from `env`). */
  store: Store;
  crms: SoakCrm[];
  /** The environment of every `sahut-sync` process of this deployment. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/**
 * One deployment as issue 20 ran it: a two-way connection per CRM (both directions on a cron
 * every 3 s, `onConflict: crm`; a database table with `notify: true`, soft deletes in
 * `deleted_at` and the notify and delete triggers installed; a HubSpot account with no
 * `notify`, so that the cron is what brings its changes), `rows` rows in each, a PostgreSQL store, a
 * private queue prefix, and the sandbox as Sahut with latency, 3 % answered 503 and some slow
 * answers, its requests journaled for the verdict.
 */
export async function soakDeployment(
  kinds: readonly SoakKind[],
  rows: number,
  random: Random,
  env: Record<string, string>,
): Promise<SoakDeployment> {
  const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-soak-'));
  const tables: { kind: SoakKind; table: SoakTable; name: string; digit: number }[] = [];
  for (const [i, kind] of kinds.entries()) {
    const table = await soakTable(kind, random);
    // Connection names are unique: MariaDB's change table is shared by every test in the database.
    const name = `soak-${SHORT[kind]}-${randomUUID().slice(0, 6)}`;
    const digit = i + 1;
    await table.insert(Array.from({ length: rows }, (_, r) => seedRow(r, digit)));
    tables.push({ kind, table, name, digit });
  }
  const configPath = join(dir, 'sahut-sync.yaml');
  for (const { table, name } of tables) await writeFile(join(dir, `${name}.yaml`), table.mapping);
  await writeFile(
    configPath,
    [
      'connections:',
      ...tables.flatMap(({ table, name }) => [
        `  ${name}:`,
        `    source: ${JSON.stringify(table.source)}`,
        `    mapping: ${name}.yaml`,
        '    directions: [crm-to-sahut, sahut-to-crm]',
        '    schedule: { cron: "*/3 * * * * *" }',
        // The soak's removals are real: a guard tripping on them would be a failure of the suite.
        '    options: { onConflict: crm, deleteGuard: 1000 }',
      ]),
    ].join('\n'),
  );
  const connections = loadConnections(configPath);
  const s = await privateStore('postgres');
  const sandbox = await buildSandbox({ apiKey: API_KEY, admin: true, faults: soakFaults(random) });
  const journal = installJournal(sandbox);
  const baseUrl = await sandbox.listen();
  const prefix = uniqueName('soak');
  const deployment: SoakDeployment = {
    sandbox,
    journal,
    baseUrl,
    store: s.store,
    crms: tables.map(({ table, name, digit }) => ({
      connection: connections.find((c) => c.name === name) as SoakCrm['connection'],
      table,
      digit,
      contacts: new Map(),
      inserted: [],
    })),
    env: {
      ...s.env,
      SAHUT_BASE_URL: baseUrl,
      SAHUT_API_KEY: API_KEY,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      SYNC_CONFIG: configPath,
      LOG_LEVEL: 'warn',
      ...env,
    },
    async dispose() {
      await sandbox.close();
      await s.dispose();
      for (const { table } of tables) await table.drop();
      await forgetMysqlChanges(tables.filter((t) => t.kind === 'mariadb').map((t) => t.name));
      await rm(dir, { recursive: true, force: true });
      await deletePrefix(prefix);
    },
  };
  await Promise.all(
    tables
      .filter(({ kind }) => kind !== 'hubspot')
      .map(async ({ name }) => {
        const { code, output } = await runCli(
          ['crm', 'install-trigger', '--connection', name],
          deployment.env,
        );
        if (code !== 0) throw new Error(`install-trigger ${name} exited ${code}:\n${output}`);
      }),
  );
  return deployment;
}

const SHORT: Record<SoakKind, string> = { postgres: 'pg', mariadb: 'maria', hubspot: 'hub' };

function seedRow(r: number, digit: number) {
  const k = String(r).padStart(6, '0');
  return {
    name: `Person ${digit}-${r}`,
    phone: `0812-${digit}${k.slice(0, 3)}-${k.slice(3)}`,
    email: `person${r}@crm${digit}.soak.example`,
    company: `Company ${r % 7}`,
    tags: r % 3 === 0 ? 'lead;vip' : 'lead',
    tier: r % 2 === 0 ? 'gold' : 'silver',
  };
}

/** Latency on every request, 3 % answered 503, 2 % slow, each rule seeded from the run's seed. */
function soakFaults(random: Random) {
  const seed = () => Math.floor(random() * 2 ** 31);
  return {
    latencyMs: 15,
    rules: [
      { share: 0.03, seed: seed(), action: 503 },
      { share: 0.02, seed: seed(), action: { delayMs: 200 } },
    ],
  };
}

/** The rows MariaDB's triggers left in the shared change and tombstone tables for this test's connections. */
export async function forgetMysqlChanges(names: string[]) {
  if (names.length === 0) return;
  const pool = createMysqlPool({ url: MYSQL_URL }, '/');
  try {
    await pool.query('DELETE FROM sahut_sync_changes WHERE connection IN (?)', [names]);
    await pool.query('DELETE FROM sahut_sync_deletions WHERE connection IN (?)', [names]);
  } finally {
    await pool.end();
  }
}
