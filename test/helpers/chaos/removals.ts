import { setTimeout as sleep } from 'node:timers/promises';
import { prepareRecord } from '../../../src/sync/apply/prepare.ts';
import { agentRequest } from './agents.ts';
import type { ChaosDeployment } from './deployment.ts';
import { pick, type Random } from './schedule.ts';

/**
 * A person removed during the chaos:
 * - `crm-soft` / `crm-hard`: the CRM row soft-deleted (`deleted_at`) or deleted (a tombstone),
 *   linked or not yet; `reenteredAs`: then entered again as a new row with the same values;
 * - `sahut-delete`: an agent deleted the record's contact in Sahut;
 * - `sahut-merge`: an agent merged it into a contact of a person who wrote in with only a phone
 *   (`survivor`), which gains its email.
 */
export interface ChaosRemoval {
  kind: 'crm-soft' | 'crm-hard' | 'sahut-delete' | 'sahut-merge';
  crmId: string;
  /** `Date.now()` once the removal was visible on its side. */
  at: number;
  /** The record's phone and email as the sync compares them; null for none (or a row it rejects). */
  phone: string | null;
  email: string | null;
  /** The contact the record's link held at the removal; null when it had none yet. */
  contactId: string | null;
  reenteredAs?: string;
  survivor?: string;
}

/**
 * People removing people while the chaos runs, one removal logged per record. Only the seeded
 * rows are removed (walk-ins' rows and re-entered ones are judged as they are), each once.
 */
export function createRemovers(d: ChaosDeployment, random: Random) {
  const removals: ChaosRemoval[] = [];
  const removed = new Set<string>();
  const name = d.connection.name;
  let merges = 0;

  const identity = (row: Record<string, unknown>, id: string) => {
    const p = prepareRecord({ id, data: row }, d.connection, 'ID');
    return p.kind === 'ready'
      ? { phone: p.contact.phone ?? null, email: p.contact.email ?? null }
      : { phone: null, email: null };
  };

  /** `count` CRM rows deleted (soft or hard, one in three entered again a moment later). */
  async function deleteInCrm(count: number): Promise<string> {
    const done: string[] = [];
    for (let i = 0; i < count; i++) {
      const free = Array.from({ length: d.params.records }, (_, k) => String(k + 1)).filter(
        (id) => !removed.has(id),
      );
      const id = pick(random, free);
      removed.add(id);
      const how = random() < 0.5 ? 'soft' : 'hard';
      const link = (await d.store.getLinks(name, [id])).get(id);
      const row = await d.crm.remove(id, how);
      if (!row) continue;
      const removal: ChaosRemoval = {
        kind: how === 'soft' ? 'crm-soft' : 'crm-hard',
        crmId: id,
        at: Date.now(),
        ...identity(row, id),
        contactId: link?.sahutId ?? null,
      };
      if (random() < 1 / 3) {
        await sleep(Math.floor(random() * 1500));
        removal.reenteredAs = await d.crm.reenter(row);
      }
      removals.push(removal);
      done.push(
        `${how} ${id}${link ? ` (contact ${link.sahutId})` : ' (not linked yet)'}${removal.reenteredAs ? ` entered again as ${removal.reenteredAs}` : ''}`,
      );
    }
    return `deleted CRM rows: ${done.join(', ')}`;
  }

  /** `count` linked contacts deleted in Sahut, or merged into a new contact holding only a phone. */
  async function deleteInSahut(count: number): Promise<string> {
    const done: string[] = [];
    for (let i = 0; i < count; i++) {
      const contacts = new Map(d.sandbox.contacts().map((c) => [c.id, c]));
      const seeded = (await d.store.getLinksBySahutIds(name, [...contacts.keys()])).filter(
        (l) => Number(l.crmId) <= d.params.records && !removed.has(l.crmId),
      );
      if (seeded.length === 0) break;
      const link = pick(random, seeded);
      removed.add(link.crmId);
      const contact = contacts.get(link.sahutId);
      let survivor: string | undefined;
      if (random() < 0.5) {
        const k = ++merges;
        const phone = `+62878${String(10_000_000 + ((Number(link.crmId) * 7919 + k) % 90_000_000)).padStart(8, '0')}`;
        [survivor] = d.sandbox.seed([{ name: `Wrote in ${k}`, phone }]).map((c) => c.id);
        await agentRequest(d, 'POST', '/v1/_admin/merges', { survivor, absorbed: link.sahutId });
      } else await agentRequest(d, 'DELETE', `/v1/_admin/contacts/${link.sahutId}`);
      removals.push({
        kind: survivor ? 'sahut-merge' : 'sahut-delete',
        crmId: link.crmId,
        at: Date.now(),
        phone: contact?.phone ?? null,
        email: contact?.email ?? null,
        contactId: link.sahutId,
        ...(survivor ? { survivor } : {}),
      });
      done.push(`${link.sahutId} of crm ${link.crmId} ${survivor ? `merged into ${survivor}` : 'deleted'}`);
    }
    return `agents removed contacts: ${done.join(', ')}`;
  }

  return { removals, deleteInCrm, deleteInSahut };
}

export type Removers = ReturnType<typeof createRemovers>;
