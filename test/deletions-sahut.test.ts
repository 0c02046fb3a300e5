import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Connection, syncOptionsSchema } from '../src/config/index.ts';
import { type CrmRecord, createMemoryConnector, type MemoryConnector } from '../src/crm/index.ts';
import { parseMapping } from '../src/mapping/index.ts';
import { enqueueAction } from '../src/queue/actions/job.ts';
import { enqueueRun, waitForRun } from '../src/queue/runs/runs.ts';
import type { FaultConfig } from '../src/sandbox/index.ts';
import { type DeletionDeployment, deletionDeployment, runWith, sandboxAdmin } from './helpers/deletions.ts';
import { MAPPING_YAML, type Node, startNode } from './helpers/engine.ts';
import { type StoreKind, until } from './helpers/env.ts';

const phone = (i: number) => `+62 81${String(10_000_000 + i).padStart(8, '0')}`;
const e164 = (i: number) => `+6281${String(10_000_000 + i).padStart(8, '0')}`;

function crmRecord(i: number): CrmRecord {
  return {
    id: `crm-${i}`,
    data: {
      name: `Customer ${i}`,
      phone: phone(i),
      email: `customer${i}@example.com`,
      company: `Company ${i}`,
      tags: 'crm',
      tier: 'silver',
    },
  };
}

/**
 * Contacts that vanish from Sahut (deleted by an agent, merged into another)
 * while their CRM record stays: the sandbox's admin routes cause it over HTTP,
 * the real engine finds it (a 404, or two complete scans without it).
 */
describe.each<StoreKind>(['sqlite', 'postgres'])('Sahut disappearances (%s store)', (kind) => {
  let deployment: DeletionDeployment;
  let node: Node;
  let crm: MemoryConnector;

  beforeEach(async () => {
    deployment = await deletionDeployment(kind);
  });
  afterEach(async () => {
    await node?.close();
    await deployment.dispose();
  });

  async function synced(count: number, options: Record<string, unknown> = {}, faults?: FaultConfig) {
    crm = createMemoryConnector(Array.from({ length: count }, (_, i) => crmRecord(i)));
    const connection: Connection = {
      name: 'crm',
      source: { type: 'file', path: '/dev/null', format: 'csv', idField: 'id' } as Connection['source'],
      mapping: parseMapping(MAPPING_YAML, 'yaml'),
      directions: ['crm-to-sahut', 'sahut-to-crm'],
      schedule: undefined,
      options: syncOptionsSchema.parse(options),
    };
    node = startNode(deployment.config, deployment.store, [connection], () => crm);
    expect((await runWith(node)).counts).toEqual({ created: count });
    if (faults) deployment.sandbox.setFaults(faults);
  }
  const linkOf = async (crmId: string) => (await deployment.store.getLinks('crm', [crmId])).get(crmId);
  const contact = (id: string | undefined) => deployment.sandbox.contacts().find((c) => c.id === id);
  const admin = () => sandboxAdmin(deployment.baseUrl);

  it('a run job delivered again after its run ended judges nothing missed (its books are gone)', async () => {
    await synced(3);
    const { job, runId } = await enqueueRun(node.rt, 'crm', 'sahut-to-crm');
    expect(await waitForRun(node.rt, job, runId)).toMatchObject({ status: 'succeeded' });
    const ended = await node.rt.queues.runs.getJob(job.id as string);
    expect(ended?.data).toMatchObject({ runId, step: 'wait', scanComplete: true });
    // What BullMQ does with a job whose worker died before it could mark it completed.
    const again = await node.rt.queues.runs.add('run', ended?.data, { jobId: `${job.id}-again` });
    await until(async () => (await again.getState()) === 'completed', 20_000, 'the job delivered again');
    expect(await deployment.store.countRemovals('crm', 'counting')).toBe(0);
    expect(await deployment.store.countRemovals('crm', 'due')).toBe(0);
    expect(await deployment.store.getRun(runId)).toMatchObject({ status: 'succeeded' });
  });

  it('a contact an agent merged into another: the record is relinked to the survivor, merged by the owner rules', async () => {
    await synced(2);
    const absorbed = (await linkOf('crm-0'))?.sahutId as string;
    const [survivor] = deployment.sandbox.seed([
      { name: 'Budi (kept)', email: 'budi.kept@example.com', company: 'Agent Co' },
    ]);
    await admin().merge(survivor?.id as string, absorbed);
    await crm.edit('crm-0', { tier: 'gold' });

    const run = await runWith(node);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toEqual({ relinked: 1 });
    expect((await linkOf('crm-0'))?.sahutId).toBe(survivor?.id);
    // Both-owned fields: the CRM's changes since the merge win where they differ; no new contact.
    expect(contact(survivor?.id)).toMatchObject({ phone: e164(0), custom_attributes: { tier: 'gold' } });
    expect(deployment.sandbox.contacts()).toHaveLength(2);
    const [row] = (await deployment.store.queryAudit({ runId: run.id, action: 'relinked', limit: 5 })).rows;
    expect(row).toMatchObject({ crmId: 'crm-0', sahutId: survivor?.id, detail: { from: absorbed } });
    // Settled: the next run finds nothing to do.
    expect((await runWith(node)).counts).toEqual({});
  });

  it('a contact missing from two complete scans is flagged gone-in-sahut; a person recreates it from the listing', async () => {
    await synced(3);
    const gone = (await linkOf('crm-1'))?.sahutId as string;
    await admin().remove(gone);

    const first = await runWith(node, 'sahut-to-crm');
    expect(first.status).toBe('succeeded');
    expect(first.counts).toEqual({ unchanged: 2 });
    expect(await deployment.store.getRemoval('crm', 'crm-1', 'sahut')).toMatchObject({
      state: 'counting',
      misses: 1,
    });

    const second = await runWith(node, 'sahut-to-crm');
    expect(second.counts).toEqual({ unchanged: 2, 'gone-in-sahut': 1 });
    const entry = await deployment.store.getAttention('crm', 'crm-1');
    expect(entry).toMatchObject({ kind: 'gone-in-sahut', sahutId: gone, direction: 'sahut-to-crm' });
    expect((await linkOf('crm-1'))?.sahutId).toBe(gone);
    // Flagged once: a third scan does not report it again.
    expect((await runWith(node, 'sahut-to-crm')).counts).toEqual({ unchanged: 2 });

    await enqueueAction(
      node.rt.queues.actions,
      deployment.config,
      { connection: 'crm', id: 'crm-1', action: 'recreate' },
      { by: 'ops@example.com', via: 'cli' },
    );
    const recreated = async () =>
      (await deployment.store.queryAudit({ crmId: 'crm-1', action: 'recreated', limit: 5 })).rows;
    await until(async () => (await recreated()).length > 0, 20_000, 'the run the recreate started');
    const again = contact((await linkOf('crm-1'))?.sahutId);
    expect(again).toMatchObject({ name: 'Customer 1', phone: e164(1) });
    expect(again?.id).not.toBe(gone);
    expect(deployment.sandbox.contacts()).toHaveLength(3);
    expect((await recreated())[0]).toMatchObject({ sahutId: again?.id, detail: { from: gone } });
    await until(
      async () => (await deployment.store.getAttention('crm', 'crm-1')) === null,
      10_000,
      'the entry to leave',
    );
  });

  it('onSahutDelete recreate: a 404 on the next change creates the contact again from the CRM record', async () => {
    await synced(2, { onSahutDelete: 'recreate' });
    const gone = (await linkOf('crm-0'))?.sahutId as string;
    await admin().remove(gone);
    await crm.edit('crm-0', { company: 'New Co' });

    const run = await runWith(node);
    expect(run.counts).toEqual({ recreated: 1 });
    const now = contact((await linkOf('crm-0'))?.sahutId);
    expect(now?.id).not.toBe(gone);
    expect(now).toMatchObject({ name: 'Customer 0', phone: e164(0), company: 'New Co' });
    expect(deployment.sandbox.contacts()).toHaveLength(2);
    // A recreated record is read once more by the next run (in case the POST had never happened):
    // settled by its hash, with no call to Sahut.
    deployment.sandbox.resetCounts();
    expect((await runWith(node)).counts).toEqual({ unchanged: 1 });
    expect(deployment.sandbox.counts()).toEqual({});
    expect((await runWith(node)).counts).toEqual({});
  });

  it('a 404 that was not true (a glitch): the removal step asks again, finds the contact, and leaves it linked', async () => {
    await synced(2, { onSahutDelete: 'recreate' });
    const kept = (await linkOf('crm-0'))?.sahutId as string;
    await crm.edit('crm-0', { company: 'New Co' });
    // The record job's GET answers 404 once; the removal step's GET gets the contact.
    deployment.sandbox.setFaults({ rules: [{ route: 'GET /contacts/:id', script: [404] }] });

    const run = await runWith(node);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toEqual({ unchanged: 1 });
    const [row] = (await deployment.store.queryAudit({ runId: run.id, crmId: 'crm-0', limit: 5 })).rows;
    expect(row?.error).toBe(`removal dropped: contact ${kept} answers again`);
    expect((await linkOf('crm-0'))?.sahutId).toBe(kept);
    expect(deployment.sandbox.contacts()).toHaveLength(2);
    expect(await deployment.store.getRemoval('crm', 'crm-0', 'sahut')).toBeNull();
    // The edit was not lost: the record's hash was never stored, so the next run pushes it.
    expect((await runWith(node)).counts).toEqual({ updated: 1 });
    expect(contact(kept)?.company).toBe('New Co');
  });

  it('a 404 in a Sahut→CRM record job: noted, asked again by the removal step, and flagged', async () => {
    await synced(2);
    const gone = (await linkOf('crm-0'))?.sahutId as string;
    await node.rt.sahut.update(gone, { company: 'Agent Co' });
    // The scan lists the changed contact; its record job's GET, and the removal step's, answer 404.
    deployment.sandbox.setFaults({ rules: [{ route: 'GET /contacts/:id', script: [404, 404] }] });
    const run = await runWith(node, 'sahut-to-crm');
    expect(run.status).toBe('succeeded');
    expect(run.counts).toEqual({ 'gone-in-sahut': 1, unchanged: 1 });
    // Nothing was written back from a contact that did not answer.
    expect(crm.records().find((r) => r.id === 'crm-0')?.data.company).toBe('Company 0');
    expect(await deployment.store.getAttention('crm', 'crm-0')).toMatchObject({
      kind: 'gone-in-sahut',
      sahutId: gone,
    });
  });

  it('counts every removal outcome in sahut_sync_records_total', async () => {
    await synced(2, { onSahutDelete: 'unlink' });
    await admin().remove((await linkOf('crm-0'))?.sahutId as string);
    await runWith(node, 'sahut-to-crm');
    await runWith(node, 'sahut-to-crm');
    const text = await node.rt.metrics?.registry.getSingleMetricAsString('sahut_sync_records_total');
    expect(text).toMatch(
      /sahut_sync_records_total\{action="unlinked",direction="sahut-to-crm",connection="crm"\} 1/,
    );
  });

  it('onSahutDelete unlink: after two scans the link is closed and the CRM record stays as it was', async () => {
    await synced(2, { onSahutDelete: 'unlink' });
    await admin().remove((await linkOf('crm-0'))?.sahutId as string);
    await runWith(node, 'sahut-to-crm');
    const second = await runWith(node, 'sahut-to-crm');
    expect(second.counts).toEqual({ unchanged: 1, unlinked: 1 });
    expect(await linkOf('crm-0')).toBeUndefined();
    expect(crm.records().find((r) => r.id === 'crm-0')?.data).toEqual(crmRecord(0).data);
    expect(deployment.sandbox.contacts()).toHaveLength(1);
  });

  it('the guard: scans of empty pages (total 0) touch nothing, fail the run and alert; a confirmation checks each contact first', async () => {
    const empty: FaultConfig = { rules: [{ route: 'GET /contacts', every: 1, action: 'empty-list' }] };
    await synced(60, { onSahutDelete: 'recreate' }, empty);
    const before = deployment.sandbox.contacts();

    const first = await runWith(node, 'sahut-to-crm');
    expect(first.status).toBe('succeeded');
    const second = await runWith(node, 'sahut-to-crm');
    expect(second.status).toBe('failed');
    expect(second.note).toMatch(
      /^deletion guard: 60 of the 60 links of crm are gone .*\(50\); nothing was deleted, tagged, recreated or unlinked/,
    );
    expect(deployment.sandbox.contacts()).toEqual(before);
    expect((await deployment.store.countLinks()).get('crm')).toBe(60);
    // The run's only audit row is the guard's note, which lists it for a person to confirm.
    const acted = await deployment.store.queryAudit({ connection: 'crm', runId: second.id, limit: 5 });
    expect(acted.rows.map((r) => [r.action, r.crmId])).toEqual([['deletion-guard', null]]);
    expect(await deployment.store.getAttention('crm', 'guard:sahut-to-crm')).toMatchObject({
      kind: 'deletion-guard',
      runId: second.id,
      detail: { due: 60, links: 60, limit: 50 },
    });
    const failedAlert = () =>
      deployment.alerts.bodies.find((b) => b.run_id === second.id && b.event === 'run.failed');
    await until(async () => failedAlert() !== undefined, 10_000, 'the alert');
    expect(failedAlert()?.error).toMatch(/^deletion guard: 60 of the 60 links of crm/);

    // A person confirms from the listing: a run acts on the 60, but asks for each contact by id
    // first; they all answer, so none is recreated.
    deployment.sandbox.resetCounts();
    await enqueueAction(
      node.rt.queues.actions,
      deployment.config,
      { connection: 'crm', id: 'guard:sahut-to-crm', action: 'confirm' },
      { by: 'ops@example.com', via: 'cli' },
    );
    const confirmed = async () =>
      (await deployment.store.listRuns({ connection: 'crm', limit: 1 })).find(
        (r) => r.id !== second.id && r.status !== 'running',
      );
    await until(async () => (await confirmed()) !== undefined, 20_000, 'the confirmed run');
    expect(await confirmed()).toMatchObject({ status: 'succeeded', counts: { unchanged: 60 } });
    expect(deployment.sandbox.counts()['POST /contacts']).toBeUndefined();
    expect(deployment.sandbox.contacts()).toEqual(before);
    expect(await deployment.store.countRemovals('crm', 'due')).toBe(0);
    expect(await deployment.store.getAttention('crm', 'guard:sahut-to-crm')).toBeNull();
  });
});
