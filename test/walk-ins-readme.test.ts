import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnections } from '../src/config/index.ts';
import { type CsvCrm, csvCrm } from './helpers/cli.ts';
import { loadDemoCrm } from './helpers/crm-tables.ts';
import { codeUnder, docPages, ROOT } from './helpers/docs.ts';
import { type EngineDeployment, engineDeployment, type Node, runOnce, startNode } from './helpers/engine.ts';
import { dropSchema, PG_URL, uniqueName } from './helpers/env.ts';

/** The docs' createInCrm example (docs/directions.md), as shown, on the compose demo table and mapping. */
describe('docs: walk-in contacts → CRM, on the compose demo table', () => {
  const schema = uniqueName('crm').replace(/-/g, '_');
  let deployment: EngineDeployment;
  let files: CsvCrm;
  let crm: pg.Client;
  let node: Node;

  beforeAll(async () => {
    crm = new pg.Client({ connectionString: PG_URL });
    await crm.connect();
    await loadDemoCrm(crm, schema);
    const yaml = codeUnder(docPages(), 'Walk-in contacts → CRM', 'yaml')
      .replace('schema: crm,', `schema: ${schema}, url: "${PG_URL}",`)
      .replace('../mapping.example.yaml', join(ROOT, 'config/mapping.example.yaml'));
    files = await csvCrm();
    await writeFile(files.configPath, yaml);
    deployment = await engineDeployment('postgres');
    node = startNode(deployment.config, deployment.store, loadConnections(files.configPath));
  });

  afterAll(async () => {
    await node?.close();
    await deployment?.dispose();
    await files?.dispose();
    await crm?.end();
    await dropSchema(schema);
  });

  it('creates the tagged contact with the defaults, and the contact keeps its name', async () => {
    const walkIn = await node.rt.sahut.create({
      name: 'Budi Walk-in',
      phone: '+6281299990009',
      email: 'budi.walkin@example.com',
      company: 'CV Baru',
      tags: ['LEAD'],
    });
    const run = await runOnce(node, 'crm', 'sahut-to-crm');
    expect(run).toMatchObject({ status: 'succeeded', total: 1, counts: { created: 1 } });
    const { rows } = await crm.query(
      `SELECT first_name, last_name, mobile, email, company_name, segments FROM ${schema}.contacts WHERE email = $1`,
      ['budi.walkin@example.com'],
    );
    expect(rows).toEqual([
      {
        first_name: '',
        last_name: null,
        mobile: '+6281299990009',
        email: 'budi.walkin@example.com',
        company_name: 'CV Baru',
        segments: 'LEAD',
      },
    ]);
    // The name stays as the agent wrote it; the mapping's constant tag joins the contact.
    expect(await node.rt.sahut.get(walkIn.id)).toMatchObject({
      name: 'Budi Walk-in',
      tags: ['LEAD', 'crm-sync'],
    });
    expect((await runOnce(node, 'crm', 'sahut-to-crm')).counts).toEqual({ unchanged: 1 });
  });
});
