import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Connection, syncOptionsSchema } from '../src/config/index.ts';
import { runTriggerSql, sourceSchema, triggerSql } from '../src/crm/index.ts';
import { parseMapping } from '../src/mapping/index.ts';
import type { Store } from '../src/store/index.ts';
import type { CrmKind } from './helpers/crm-tables.ts';
import {
  DELETIONS_MAPPING,
  type DeletionDeployment,
  type DeletionTable,
  deletionDeployment,
  deletionTable,
  runWith,
  sandboxAdmin,
} from './helpers/deletions.ts';
import { type Node, startNode } from './helpers/engine.ts';
import { PG_URL, uniqueName, until } from './helpers/env.ts';

/**
 * Records deleted in a real CRM table (PostgreSQL, MariaDB) reach Sahut as the
 * connection's `onCrmDelete` says, however the CRM deletes: a soft-delete
 * column, a hard delete seen by the install-trigger's tombstones, or a hard
 * delete found by a full read. Sahut is the sandbox over HTTP.
 */
describe.each<CrmKind>(['postgres', 'mariadb'])('CRM deletions (%s table)', (kind) => {
  let deployment: DeletionDeployment;
  let table: DeletionTable;
  let node: Node | undefined;
  // A name of its own: MariaDB's tombstone table is shared by every table of the database.
  const name = uniqueName('del').replace(/^t-/, '').replace(/-/g, '_');

  beforeEach(async () => {
    // Both stores: the PostgreSQL CRM beside a SQLite store, MariaDB beside a PostgreSQL one.
    deployment = await deletionDeployment(kind === 'postgres' ? 'sqlite' : 'postgres');
    table = await deletionTable(kind);
  });
  afterEach(async () => {
    await node?.close();
    node = undefined;
    await deployment.dispose();
    await table.drop();
  });

  function start(
    options: Record<string, unknown> = {},
    extra: { view?: boolean; deletedColumn?: string } = {},
    directions: Connection['directions'] = ['crm-to-sahut'],
    store?: Store,
  ) {
    const connection: Connection = {
      name,
      source: sourceSchema.parse(table.source(extra)),
      mapping: parseMapping(DELETIONS_MAPPING, 'yaml'),
      directions,
      schedule: undefined,
      options: syncOptionsSchema.parse(options),
    };
    node = startNode(deployment.config, store ?? deployment.store, [connection]);
    return { node, connection };
  }
  const run = (extra: { full?: boolean; allowDeletes?: number } = {}) =>
    runWith(node as Node, 'crm-to-sahut', extra, name);
  const people = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({
      name: `Person ${from + i}`,
      phone: `+62812${String(7_000_000 + from + i)}`,
      tags: 'vip',
    }));
  const contactOf = async (crmId: string) => {
    const link = (await deployment.store.getLinks(name, [crmId])).get(crmId);
    return { link, contact: deployment.sandbox.contacts().find((c) => c.id === link?.sahutId) };
  };

  it('a run attempt that stops once a deletion is on record, before the removal leaves: the retry finishes it, one deleted row', async () => {
    // The store fails the first removal's last write (its connection cut at that moment).
    let cut = false;
    const real = deployment.store;
    const store: Store = {
      ...real,
      async dropRemovals(...args) {
        if (!cut) {
          cut = true;
          throw new Error('Connection terminated unexpectedly');
        }
        return real.dropRemovals(...args);
      },
    };
    start({}, { deletedColumn: 'deleted_at' }, ['crm-to-sahut'], store);
    const [gone] = await table.insert(people(2));
    expect((await run()).counts).toEqual({ created: 2 });
    const { contact } = await contactOf(gone as string);

    await table.softDelete(gone as string);
    const deleting = await run();
    expect(cut).toBe(true);
    expect(deleting.status).toBe('succeeded');
    expect(deleting.counts).toMatchObject({ deleted: 1 });
    const rows = (await deployment.store.queryAudit({ crmId: gone, limit: 10 })).rows.map((r) => r.action);
    expect(rows).toEqual(['deleted', 'created']);
    expect(await deployment.store.countRemovals(name, 'due')).toBe(0);
    expect(deployment.sandbox.contacts().find((c) => c.id === contact?.id)?.tags).toEqual([
      'vip',
      'crm-deleted',
    ]);
  });

  it('soft delete: the contact is tagged, its link closed; the person re-created with the same phone is relinked, not duplicated', async () => {
    start({}, { deletedColumn: 'deleted_at' });
    const [gone, kept] = await table.insert(people(2));
    expect((await run()).counts).toEqual({ created: 2 });
    const { contact } = await contactOf(gone as string);
    expect(contact?.tags).toEqual(['vip', 'crm-sync']);

    await table.softDelete(gone as string);
    const deleting = await run();
    expect(deleting.status).toBe('succeeded');
    expect(deleting.counts.deleted).toBe(1);
    expect(deleting.counts.created).toBeUndefined();
    const tagged = deployment.sandbox.contacts().find((c) => c.id === contact?.id);
    // The mapping's constant tag comes off, the configured one goes on; the contact stays.
    expect(tagged?.tags).toEqual(['vip', 'crm-deleted']);
    expect((await contactOf(gone as string)).link).toBeUndefined();
    expect((await contactOf(kept as string)).link).toBeDefined();
    const [row] = (await deployment.store.queryAudit({ runId: deleting.id, action: 'deleted', limit: 5 }))
      .rows;
    expect(row).toMatchObject({
      crmId: gone,
      sahutId: contact?.id,
      diff: { tags: { before: ['vip', 'crm-sync'], after: ['vip', 'crm-deleted'] } },
      detail: { found: 'soft-deleted', onCrmDelete: 'tag' },
    });

    // Read again (the cursor's overlap): nothing more to do for it.
    const again = await run();
    expect(again.counts.deleted).toBeUndefined();

    // The same person entered again: one contact, linked again, not a second one.
    const [back] = await table.insert([{ name: 'Person 0', phone: '+628127000000', tags: 'vip' }]);
    const relinked = await run();
    expect(relinked.counts.created).toBeUndefined();
    expect(relinked.counts.linked).toBe(1);
    expect(deployment.sandbox.contacts()).toHaveLength(2);
    const now = await contactOf(back as string);
    expect(now.link?.sahutId).toBe(contact?.id);
    // The CRM owns the tags: the new record's tags replace the deletion's marker.
    expect(now.contact?.tags).toEqual(['vip', 'crm-sync']);
  });

  it('a contact whose CRM record was deleted is never created back in the CRM as a walk-in', async () => {
    start({ createInCrm: 'all' }, { deletedColumn: 'deleted_at' }, ['crm-to-sahut', 'sahut-to-crm']);
    const [gone] = await table.insert(people(2));
    await run();
    await table.softDelete(gone as string);
    expect((await run()).counts.deleted).toBe(1);

    // The contact is unlinked now, and createInCrm takes every unlinked contact: but not this one.
    const scan = await runWith(node as Node, 'sahut-to-crm', {}, name);
    expect(scan.status).toBe('succeeded');
    expect(scan.counts.created).toBeUndefined();
    expect(scan.counts).toEqual({ unchanged: 1 });
    // A real walk-in is still created.
    deployment.sandbox.seed([{ name: 'Walk-in', phone: '+6281299990001' }]);
    const again = await runWith(node as Node, 'sahut-to-crm', {}, name);
    expect(again.counts.created).toBe(1);
  });

  it('hard delete with the install-trigger: the tombstone is read by the next run and then forgotten', async () => {
    const { connection } = start({ onCrmDelete: 'clear' });
    await runTriggerSql(connection.source, triggerSql(name, connection.source).install, {
      postgresUrl: PG_URL,
      baseDir: '/',
    });
    const [gone] = await table.insert(people(3));
    expect((await run()).counts).toEqual({ created: 3 });
    const { contact } = await contactOf(gone as string);

    await table.hardDelete(gone as string);
    expect(await table.tombstones(name)).toBe(1);
    const deleting = await run();
    expect(deleting.status).toBe('succeeded');
    expect(deleting.counts.deleted).toBe(1);
    // clear: every crm-owned field but the name emptied; the contact and its id stay.
    expect(deployment.sandbox.contacts().find((c) => c.id === contact?.id)).toMatchObject({
      name: 'Person 0',
      phone: null,
      tags: [],
    });
    expect(await table.tombstones(name)).toBe(0);
    expect((await contactOf(gone as string)).link).toBeUndefined();
    expect(deployment.sandbox.contacts()).toHaveLength(3);

    // A row deleted before it was ever linked (it had no phone): its end is on record too.
    const [never] = await table.insert([{ name: 'No Phone', tags: 'vip' }]);
    expect((await run()).counts.rejected).toBe(1);
    await table.hardDelete(never as string);
    expect((await run()).status).toBe('succeeded');
    const [row] = (await deployment.store.queryAudit({ crmId: never, limit: 1 })).rows;
    expect(row).toMatchObject({
      action: 'unchanged',
      error: 'deleted in the CRM before it was ever linked: nothing to do in Sahut',
    });
    expect(await table.tombstones(name)).toBe(0);
  });

  it('hard delete without a trigger: an incremental run cannot see it, a full read finds it', async () => {
    start({ onCrmDelete: 'keep' });
    const [gone] = await table.insert(people(3));
    await run();
    const before = deployment.sandbox.contacts();
    await table.hardDelete(gone as string);

    const incremental = await run();
    expect(incremental.counts.deleted).toBeUndefined();
    expect((await contactOf(gone as string)).link).toBeDefined();

    const full = await run({ full: true });
    expect(full.status).toBe('succeeded');
    expect(full.counts).toEqual({ deleted: 1, unchanged: 2 });
    const [row] = (await deployment.store.queryAudit({ runId: full.id, action: 'deleted', limit: 5 })).rows;
    expect(row).toMatchObject({ crmId: gone, diff: null, detail: { found: 'absent', onCrmDelete: 'keep' } });
    // keep: Sahut is not touched at all.
    expect(deployment.sandbox.contacts()).toEqual(before);
    expect((await contactOf(gone as string)).link).toBeUndefined();
  });

  it('deleteInCrm soft: a record unlinked from a contact gone from Sahut gets its soft-delete column set', async () => {
    start({ onSahutDelete: 'unlink', deleteInCrm: 'soft' }, { deletedColumn: 'deleted_at' }, [
      'crm-to-sahut',
      'sahut-to-crm',
    ]);
    const [gone, kept] = await table.insert(people(2));
    await run();
    const { link } = await contactOf(gone as string);
    await sandboxAdmin(deployment.baseUrl).remove(link?.sahutId as string);
    await runWith(node as Node, 'sahut-to-crm', {}, name);
    expect(await table.isSoftDeleted(gone as string)).toBe(false);
    const second = await runWith(node as Node, 'sahut-to-crm', {}, name);
    expect(second.counts.unlinked).toBe(1);
    const [row] = (await deployment.store.queryAudit({ runId: second.id, action: 'unlinked', limit: 5 }))
      .rows;
    expect(row).toMatchObject({ crmId: gone, detail: { found: 'missing', deleteInCrm: 'soft' } });
    expect(await table.isSoftDeleted(gone as string)).toBe(true);
    expect(await table.isSoftDeleted(kept as string)).toBe(false);
    // The next CRM→Sahut run reads the row as deleted, and has nothing left to do for it.
    const after = await run();
    expect(after.counts.deleted).toBeUndefined();
    expect(after.counts.created).toBeUndefined();
    expect(deployment.sandbox.contacts()).toHaveLength(1);
  });

  it('the guard: a view that suddenly filters every row acts on none, fails the run, alerts; confirming then acts', async () => {
    start({}, { view: true });
    await table.insert(people(60));
    expect((await run()).counts).toEqual({ created: 60 });
    const before = deployment.sandbox.contacts();

    await table.hideAll();
    const tripped = await run({ full: true });
    expect(tripped.status).toBe('failed');
    expect(tripped.note).toMatch(
      new RegExp(
        `^deletion guard: 60 of the 60 links of ${name} are gone .* more than deleteGuard allows \\(50\\)`,
      ),
    );
    expect(tripped.note).toContain(`--allow-deletes 60`);
    expect(deployment.sandbox.contacts()).toEqual(before);
    expect((await deployment.store.countLinks()).get(name)).toBe(60);
    const deleted = await deployment.store.queryAudit({ connection: name, action: 'deleted', limit: 5 });
    expect(deleted.rows).toEqual([]);
    const failed = () => deployment.alerts.bodies.find((b) => b.event === 'run.failed');
    await until(async () => failed() !== undefined, 10_000, 'the run-failed alert');
    expect(failed()).toMatchObject({
      event: 'run.failed',
      connection: name,
      run_id: tripped.id,
      error: expect.stringMatching(/^deletion guard: 60 of the 60 links/),
    });

    // Fewer allowed than due: still nothing.
    expect((await run({ full: true, allowDeletes: 59 })).status).toBe('failed');
    expect((await deployment.store.countLinks()).get(name)).toBe(60);

    const confirmed = await run({ full: true, allowDeletes: 60 });
    expect(confirmed.status).toBe('succeeded');
    expect(confirmed.counts).toEqual({ deleted: 60 });
    expect(deployment.sandbox.contacts().every((c) => c.tags.includes('crm-deleted'))).toBe(true);
    expect((await deployment.store.countLinks()).get(name)).toBeUndefined();
  });
});

/** A CSV export dropped again and again: a missing record means deleted only when it is a full export. */
describe('CRM deletions (file source)', () => {
  let deployment: DeletionDeployment;
  let dir: string;
  let node: Node | undefined;

  beforeEach(async () => {
    deployment = await deletionDeployment('sqlite');
    dir = await mkdtemp(join(tmpdir(), 'deletions-file-'));
  });
  afterEach(async () => {
    await node?.close();
    node = undefined;
    await deployment.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const row = (i: number) => `${i},Person ${i},+62812800000${i},,,vip`;
  const write = (path: string, lines: string[]) =>
    writeFile(path, `id,name,phone,email,company,tags\n${lines.join('\n')}\n`);

  function start(fullExport: boolean) {
    const path = join(dir, 'export.csv');
    const connection: Connection = {
      name: 'crm',
      source: sourceSchema.parse({ type: 'file', path, fullExport }),
      mapping: parseMapping(DELETIONS_MAPPING, 'yaml'),
      directions: ['crm-to-sahut'],
      schedule: undefined,
      options: syncOptionsSchema.parse({}),
    };
    node = startNode(deployment.config, deployment.store, [connection]);
    return path;
  }

  it('fullExport: a linked record missing from the new export is deleted; a half-written export deletes nothing', async () => {
    const path = start(true);
    await write(path, [row(1), row(2), row(3)]);
    expect((await runWith(node as Node)).counts).toEqual({ created: 3 });

    // Cut off mid-row: one line cannot be read, so no absence is judged from this file.
    await write(path, [row(1), '"2,Person 2']);
    const broken = await runWith(node as Node);
    expect(broken.counts.deleted).toBeUndefined();
    expect(broken.counts.rejected).toBe(1);
    expect((await deployment.store.countLinks()).get('crm')).toBe(3);

    await write(path, [row(1), row(3)]);
    const run = await runWith(node as Node);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toEqual({ unchanged: 2, deleted: 1 });
    const [deleted] = (await deployment.store.queryAudit({ runId: run.id, action: 'deleted', limit: 5 }))
      .rows;
    expect(deleted).toMatchObject({ crmId: '2', detail: { found: 'absent' } });
    expect(deployment.sandbox.contacts().find((c) => c.name === 'Person 2')?.tags).toEqual([
      'vip',
      'crm-deleted',
    ]);
  });

  it('without fullExport a record missing from the file means nothing, even on a full read', async () => {
    const path = start(false);
    await write(path, [row(1), row(2)]);
    await runWith(node as Node);
    await write(path, [row(1)]);
    const run = await runWith(node as Node, 'crm-to-sahut', { full: true });
    expect(run.counts).toEqual({ unchanged: 1 });
    expect((await deployment.store.countLinks()).get('crm')).toBe(2);
  });
});

describe('the PostgreSQL delete trigger on a table found through the search_path', () => {
  it("records a delete made by a session with another search_path, and never fails the CRM's delete", async () => {
    const schema = `crm_sp_${uniqueName('x').slice(-8)}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.query(
        `CREATE TABLE ${schema}.contacts (id serial PRIMARY KEY, name text, updated_at timestamptz DEFAULT now())`,
      );
      // Installed through a session whose search_path finds the table: no schema in the source.
      const url = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const source = sourceSchema.parse({ type: 'postgres', url, table: 'contacts' });
      await runTriggerSql(source, triggerSql('sp', source).install, { postgresUrl: url, baseDir: '/' });
      await admin.query(`INSERT INTO ${schema}.contacts (name) VALUES ('a'), ('b')`);
      // The CRM's own session: the default search_path, which does not name the schema.
      await admin.query(`DELETE FROM ${schema}.contacts WHERE name = 'a'`);
      const { rows } = await admin.query(`SELECT connection, crm_id FROM ${schema}.sahut_sync_deletions`);
      expect(rows).toEqual([{ connection: 'sp', crm_id: '1' }]);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
