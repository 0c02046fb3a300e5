import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnections } from '../src/config/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import type { Store } from '../src/store/index.ts';
import { type CsvCrm, csvCrm } from './helpers/cli.ts';
import { loadDemoCrm } from './helpers/crm-tables.ts';
import { type Node, runOnce, startNode } from './helpers/engine.ts';
import {
  API_KEY,
  deletePrefix,
  dropSchema,
  PG_URL,
  privateStore,
  testConfig,
  uniqueName,
} from './helpers/env.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/**
 * The docker compose demo, minus Docker: the seeded CRM table in PostgreSQL,
 * the shipped mapping file, the real queue and workers, the sandbox as Sahut.
 */
describe('end to end: PostgreSQL CRM table → Sahut, with config/mapping.example.yaml', () => {
  const schema = uniqueName('crm').replace(/-/g, '_');
  const prefix = uniqueName('e2e');
  let sandbox: Sandbox;
  let store: Store;
  let disposeStore: () => Promise<void>;
  let files: CsvCrm;
  let crm: pg.Client;
  let node: Node;

  beforeAll(async () => {
    crm = new pg.Client({ connectionString: PG_URL });
    await crm.connect();
    await loadDemoCrm(crm, schema);

    files = await csvCrm();
    await writeFile(
      files.configPath,
      [
        'connections:',
        '  crm:',
        `    source: { type: postgres, url: "${PG_URL}", schema: ${schema}, table: contacts }`,
        `    mapping: ${join(ROOT, 'config/mapping.example.yaml')}`,
        '    options: { pageSize: 64 }',
      ].join('\n'),
    );
    const started = await startSandbox({ apiKey: API_KEY });
    sandbox = started.sandbox;
    const s = await privateStore('postgres');
    ({ store, dispose: disposeStore } = s);
    const config = testConfig({
      ...s.env,
      SAHUT_BASE_URL: started.baseUrl,
      QUEUE_PREFIX: prefix,
      SYNC_CONFIG: files.configPath,
    });
    node = startNode(config, store, loadConnections(files.configPath));
  });

  afterAll(async () => {
    await node?.close();
    await sandbox?.close();
    await disposeStore?.();
    await files?.dispose();
    await crm?.end();
    await dropSchema(schema);
    await deletePrefix(prefix);
  });

  it('syncs every valid row and audits the invalid ones', async () => {
    const run = await runOnce(node);

    expect(run.total).toBe(300);
    expect(run.counts).toEqual({ created: 294, rejected: 6 });
    const contacts = sandbox.contacts();
    expect(contacts).toHaveLength(294);
    expect(new Set(contacts.map((c) => c.phone)).size).toBe(294);
    const budi = contacts.find((c) => c.email === 'customer10@example.co.id');
    // Row 10: "Budi" + "Lestari", '+62 821 9190 0010' → E.164, 'jakarta;wholesale' split, plus the constant tag.
    expect(budi).toMatchObject({
      name: 'Budi Lestari',
      phone: '+6282191900010',
      tags: ['jakarta', 'wholesale', 'crm-sync'],
    });
    // Row 3's email is upper-case in the CRM and its segments are empty.
    expect(contacts.find((c) => c.email === 'customer3@example.co.id')?.tags).toEqual(['crm-sync']);
    const rejected = await store.queryAudit({ runId: run.id, action: 'rejected', limit: 10 });
    expect(rejected.rows.map((r) => r.error)).toEqual(
      Array(6).fill('invalid phone "12345": not a valid number for region ID'),
    );
  });

  it('picks up only the row changed since the last run', async () => {
    await crm.query(
      `UPDATE ${schema}.contacts SET company_name = 'PT Baru', updated_at = now() WHERE id = 7`,
    );
    sandbox.resetCounts();
    const run = await runOnce(node);

    // The run re-reads the last minutes before its cursor (cursorOverlap, for late commits):
    // those rows are settled by their hash, so the one changed row is still the only API call.
    expect(run.counts.updated).toBe(1);
    expect(run.total).toBe((run.counts.unchanged ?? 0) + 1);
    expect(sandbox.counts()).toEqual({ 'PUT /contacts/:id': 1 });
    expect(sandbox.contacts().find((c) => c.email === 'customer7@example.co.id')?.company).toBe('PT Baru');
  });
});
