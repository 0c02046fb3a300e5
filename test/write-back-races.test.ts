import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Connection, syncOptionsSchema } from '../src/config/index.ts';
import { sourceSchema } from '../src/crm/index.ts';
import { parseMapping } from '../src/mapping/index.ts';
import { enqueueRun, waitForRun } from '../src/queue/index.ts';
import { type CrmKind, type CrmTable, crmTable } from './helpers/crm-tables.ts';
import {
  type EngineDeployment,
  engineDeployment,
  MAPPING_YAML,
  type Node,
  runOnce,
  startNode,
} from './helpers/engine.ts';

function connection(crm: CrmTable): Connection {
  return {
    name: 'crm',
    source: sourceSchema.parse(crm.source),
    mapping: parseMapping(MAPPING_YAML, 'yaml'),
    directions: ['crm-to-sahut', 'sahut-to-crm'],
    schedule: undefined,
    options: syncOptionsSchema.parse({ onConflict: 'crm' }),
  };
}

/**
 * People edit both sides while a write-back is under way: a CRM transaction commits between the
 * run's read of the row and its write, an agent edits the contact while the CRM write waits.
 * The real engine, the sandbox as Sahut, a real PostgreSQL or MariaDB CRM table; the races are
 * made to happen (the write-back waits on a person's row lock), not hoped for.
 */
describe.each<CrmKind>(['postgres', 'mariadb'])('write-back under concurrent edits (%s CRM)', (kind) => {
  let deployment: EngineDeployment;
  let crm: CrmTable;
  let node: Node;
  let crmId: string;
  let sahutId: string;

  beforeEach(async () => {
    deployment = await engineDeployment('postgres');
    crm = await crmTable(kind);
    [crmId] = (await crm.insert([
      {
        name: 'Ana',
        phone: '0812 3456 7001',
        email: 'ana@crm.example.com',
        company: 'PT Awal',
        tags: 'lead',
      },
    ])) as [string];
    node = startNode(deployment.config, deployment.store, [connection(crm)]);
    const first = await runOnce(node, 'crm', 'crm-to-sahut');
    expect(first.counts).toEqual({ created: 1 });
    sahutId = (await deployment.store.getLinks('crm', [crmId])).get(crmId)?.sahutId as string;
  });

  afterEach(async () => {
    await node.close();
    await deployment.dispose();
    await crm.drop();
  });

  const contact = () => node.rt.sahut.get(sahutId);
  const row = async () => (await crm.rows()).find((r) => r.id === crmId);
  const settledRuns = async () => {
    const echo = await runOnce(node, 'crm', 'crm-to-sahut');
    const scan = await runOnce(node, 'crm', 'sahut-to-crm');
    return { echo: echo.counts, scan: scan.counts };
  };

  it('a CRM edit committed after the run read the row is merged again, never overwritten: the conflict is written down', async () => {
    await node.rt.sahut.update(sahutId, { phone: '+6287890000779' });
    // The person's transaction holds the row while the run reads it (and reads the old phone).
    const person = await crm.editInTransaction(crmId, { phone: '+62 857-9000-0781' });
    const { job, runId } = await enqueueRun(node.rt, 'crm', 'sahut-to-crm');
    await person.blocked();
    await person.commit();
    const run = await waitForRun(node.rt, job, runId);

    expect(run).toMatchObject({ status: 'succeeded', counts: { conflict: 1 } });
    // onConflict: crm — the CRM's edit stands on both sides.
    expect((await row())?.phone).toBe('+62 857-9000-0781');
    expect((await contact())?.phone).toBe('+6285790000781');
    const [audited] = (await deployment.store.queryAudit({ runId: run.id, crmId, limit: 5 })).rows;
    expect(audited).toMatchObject({ action: 'conflict', direction: 'sahut-to-crm' });
    expect(audited?.error).toContain(
      'conflict on phone: CRM "+6285790000781", Sahut "+6287890000779" → kept CRM',
    );
    expect(audited?.diff).toEqual({ 'sahut:phone': { before: '+6287890000779', after: '+6285790000781' } });

    expect(await settledRuns()).toEqual({ echo: { unchanged: 1 }, scan: { unchanged: 1 } });
  });

  it('an agent edit made while the CRM write waits is read before the PUT and merged, not overwritten', async () => {
    // Both sides changed different fields before the run: the CRM must get Sahut's, Sahut the CRM's.
    await node.rt.sahut.update(sahutId, { company: 'Agent Co' });
    const person = await crm.editInTransaction(crmId, { name: 'Ana Person' });
    const { job, runId } = await enqueueRun(node.rt, 'crm', 'sahut-to-crm');
    await person.blocked();
    // While the write-back waits on the row: an agent tags the contact.
    await node.rt.sahut.update(sahutId, { tags: ['lead', 'vip'] });
    await person.commit();
    const run = await waitForRun(node.rt, job, runId);

    expect(run).toMatchObject({ status: 'succeeded', counts: { updated: 1 } });
    // The one PUT's window, from the GET read again after the CRM write to the PUT leaving.
    const window = await node.rt.metrics?.registry
      .getSingleMetric('sahut_sync_sahut_write_window_seconds')
      ?.get();
    const count = window?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'));
    expect(count?.value).toBe(1);
    expect(await row()).toMatchObject({ name: 'Ana Person', company: 'Agent Co', tags: 'lead;vip' });
    expect(await contact()).toMatchObject({ name: 'Ana Person', company: 'Agent Co', tags: ['lead', 'vip'] });
    const [audited] = (await deployment.store.queryAudit({ runId: run.id, crmId, limit: 5 })).rows;
    expect(audited?.diff).toEqual({
      company: { before: 'PT Awal', after: 'Agent Co' },
      tags: { before: ['lead'], after: ['lead', 'vip'] },
      'sahut:name': { before: 'Ana', after: 'Ana Person' },
    });

    expect(await settledRuns()).toEqual({ echo: { unchanged: 1 }, scan: { unchanged: 1 } });
  });

  it("an agent's tag removal made while the CRM write waits is kept, though the CRM was just given that tag", async () => {
    // The HubSpot soak found it: a tag written to the CRM from Sahut's first read came back.
    await node.rt.sahut.update(sahutId, { tags: ['lead', 'vip'] });
    const person = await crm.editInTransaction(crmId, { tags: 'lead;jakarta' });
    const { job, runId } = await enqueueRun(node.rt, 'crm', 'sahut-to-crm');
    await person.blocked();
    // While the write-back waits on the row: the agent takes the tag off again.
    await node.rt.sahut.update(sahutId, { tags: ['lead'] });
    await person.commit();
    const run = await waitForRun(node.rt, job, runId);

    expect(run.status).toBe('succeeded');
    expect((await row())?.tags).toBe('lead;jakarta');
    expect((await contact())?.tags).toEqual(['lead', 'jakarta']);
    expect(await settledRuns()).toEqual({ echo: { unchanged: 1 }, scan: { unchanged: 1 } });
  });
});
