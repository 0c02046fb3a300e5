import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Link, Store } from '../src/store/index.ts';

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

function link(connection: string, crmId: string): Link {
  return {
    connection,
    crmId,
    sahutId: `ct-${crmId}`,
    phone: null,
    email: null,
    base: { name: crmId },
    crmHash: 'h',
    sahutHash: 'h',
    syncedAt: new Date('2025-01-02T03:04:05.678Z'),
  };
}

const states = async (store: Store, connection: string, state: 'counting' | 'due' | 'flagged') =>
  (await store.listRemovals(connection, state, null, 100)).map(
    (r) => `${r.crmId}:${r.side}:${r.reason}:${r.misses}`,
  );

/** Removals and closed links: the store's part of deletions (docs/deletions.md). */
export function registerRemovalTests(store: () => Store): void {
  describe('removals', () => {
    it('notes removals due, keeps a flagged one flagged, lists in pages and drops them', async () => {
      const s = store();
      const connection = unique('conn');
      await s.noteRemovals(connection, 'run-1', [
        { crmId: 'b', side: 'crm', sahutId: 'ct-b', reason: 'soft-deleted' },
        { crmId: 'a', side: 'sahut', sahutId: 'ct-a', reason: 'not-found' },
        { crmId: 'a', side: 'crm', sahutId: 'ct-a', reason: 'tombstone' },
      ]);
      expect(await s.countRemovals(connection, 'due')).toBe(3);
      const first = await s.listRemovals(connection, 'due', null, 2);
      expect(first.map((r) => `${r.crmId}:${r.side}`)).toEqual(['a:crm', 'a:sahut']);
      const rest = await s.listRemovals(connection, 'due', { crmId: 'a', side: 'sahut' }, 2);
      expect(rest.map((r) => `${r.crmId}:${r.side}`)).toEqual(['b:crm']);
      expect(rest[0]).toMatchObject({ connection, sahutId: 'ct-b', runId: 'run-1', decision: null });

      await s.setRemoval(connection, 'a', 'sahut', { state: 'flagged' });
      await s.noteRemovals(connection, 'run-2', [
        { crmId: 'a', side: 'sahut', sahutId: 'ct-a', reason: 'not-found' },
      ]);
      expect(await s.getRemoval(connection, 'a', 'sahut')).toMatchObject({
        state: 'flagged',
        runId: 'run-2',
      });
      await s.setRemoval(connection, 'a', 'sahut', { state: 'due', decision: 'recreate' });
      expect(await s.getRemoval(connection, 'a', 'sahut')).toMatchObject({
        state: 'due',
        decision: 'recreate',
      });
      await s.setRemoval(connection, 'a', 'sahut', { state: 'due' });
      expect((await s.getRemoval(connection, 'a', 'sahut'))?.decision).toBe('recreate');

      await s.dropRemovals(connection, [
        { crmId: 'a', side: 'crm' },
        { crmId: 'b', side: 'crm' },
      ]);
      expect(await states(s, connection, 'due')).toEqual(['a:sahut:not-found:0']);
      expect(await s.getRemoval(connection, 'b', 'crm')).toBeNull();
    });

    it('counts complete scans that missed a linked contact: due at the second in a row, reset when listed', async () => {
      const s = store();
      const connection = unique('conn');
      for (const id of ['x', 'y', 'z']) await s.upsertLink(link(connection, id));
      const scan = async (listed: string[]) => {
        const runId = unique('run');
        await s.startRun({ id: runId, connection, direction: 'sahut-to-crm', dryRun: false });
        await s.addRunRecords(runId, 1, listed);
        await s.countScanMisses(connection, runId);
        return runId;
      };
      await scan(['x']);
      expect(await states(s, connection, 'counting')).toEqual(['y:sahut:missing:1', 'z:sahut:missing:1']);
      // A retried run job counts its scan once.
      const second = await scan(['x', 'y']);
      await s.countScanMisses(connection, second);
      expect(await states(s, connection, 'counting')).toEqual([]);
      expect(await states(s, connection, 'due')).toEqual(['z:sahut:missing:2']);
      await scan(['x', 'y', 'z']);
      // Due stays due (a run acts on it, and checks the contact first).
      expect(await states(s, connection, 'due')).toEqual(['z:sahut:missing:2']);
      expect(await s.countRemovals(connection, 'counting')).toBe(0);
    });

    it('judges no absence of a link written after the run began (a walk-in linked, a record linked meanwhile)', async () => {
      const s = store();
      const connection = unique('conn');
      await s.upsertLink(link(connection, 'old'));
      const scan = unique('run');
      await s.startRun({ id: scan, connection, direction: 'sahut-to-crm', dryRun: false });
      const read = unique('run');
      await s.startRun({ id: read, connection, direction: 'crm-to-sahut', dryRun: false });
      await s.upsertLink({ ...link(connection, 'new'), syncedAt: new Date(Date.now() + 1000) });
      await s.countScanMisses(connection, scan);
      expect(await states(s, connection, 'counting')).toEqual(['old:sahut:missing:1']);
      await s.noteAbsentRecords(connection, read);
      expect(await states(s, connection, 'due')).toEqual(['old:crm:absent:0']);
    });

    it('notes the linked records a full read did not see as absent, keeping an earlier reason', async () => {
      const s = store();
      const connection = unique('conn');
      for (const id of ['p', 'q', 'r']) await s.upsertLink(link(connection, id));
      await s.noteRemovals(connection, 'run-0', [
        { crmId: 'r', side: 'crm', sahutId: 'ct-r', reason: 'soft-deleted' },
      ]);
      const runId = unique('run');
      await s.startRun({ id: runId, connection, direction: 'crm-to-sahut', dryRun: false });
      await s.addRunRecords(runId, 1, ['p']);
      await s.noteAbsentRecords(connection, runId);
      expect(await states(s, connection, 'due')).toEqual(['q:crm:absent:0', 'r:crm:soft-deleted:0']);
    });

    it('closes a link: gone from the links, its contact among the closed ones until linked again', async () => {
      const s = store();
      const connection = unique('conn');
      await s.upsertLink(link(connection, 'k'));
      const closed = await s.closeLink(connection, 'k', { reason: 'deleted in the CRM', runId: 'run-9' });
      expect(closed).toEqual(link(connection, 'k'));
      expect((await s.getLinks(connection, ['k'])).size).toBe(0);
      expect(await s.closeLink(connection, 'k', { reason: 'again', runId: 'run-9' })).toBeNull();
      expect([...(await s.closedContacts(connection, ['ct-k', 'ct-other']))]).toEqual(['ct-k']);
      expect((await s.closedContacts(unique('conn'), ['ct-k'])).size).toBe(0);
      // A new record of the same person linked to the contact: no longer a closed contact.
      await s.upsertLink({ ...link(connection, 'k2'), sahutId: 'ct-k' });
      expect((await s.closedContacts(connection, ['ct-k'])).size).toBe(0);
    });
  });
}
