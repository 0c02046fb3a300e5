import { UnrecoverableError } from 'bullmq';
import type { Connection } from '../../config/index.ts';
import type { SahutContact } from '../../sahut/types.ts';
import type { RecordOutcome } from '../../sync/apply/ports.ts';
import { type CrmCreator, syncWalkIn } from '../../sync/apply/walk-in.ts';
import { selectsWalkIn } from '../../sync/apply/walk-in-rules.ts';
import type { createFanOut } from '../runs/fan-out.ts';
import type { Runtime } from '../runtime.ts';

/**
 * The key a walk-in (a Sahut contact no CRM record links to) is booked and
 * audited under in a sahut-to-crm run: it has no CRM id yet, and one record
 * needs one key from the scan to its outcome. The CRM record it ends up
 * linked to is in the audit row's `detail.crmId`.
 */
export const walkInKey = (sahutId: string) => `sahut:${sahutId}`;

const cannotCreate = (name: string) =>
  `connection ${name} has options.createInCrm, but its CRM connector cannot create records and look them up by phone or email (postgres and mysql sources can)`;

/**
 * The Sahut scan's hook for walk-ins: of the contacts of a page that no CRM
 * record of the connection links to, those `options.createInCrm` selects are
 * booked under their key and handed to record jobs (`applyWalkIn`). A no-op
 * without the option.
 */
export function walkInScan(rt: Runtime, connection: Connection, out: ReturnType<typeof createFanOut>) {
  const option = connection.options.createInCrm;
  if (option) creatorOf(rt, connection.name);
  return {
    async page(unlinked: readonly SahutContact[]): Promise<void> {
      const chosen = unlinked.filter((contact) => selectsWalkIn(option, contact.tags));
      if (chosen.length === 0) return;
      // A contact whose CRM record was deleted (its link closed) is not a walk-in: that would undo the delete.
      const closed = await rt.store.closedContacts(
        connection.name,
        chosen.map((c) => c.id),
      );
      const selected = chosen.filter((contact) => !closed.has(contact.id));
      if (selected.length === 0) return;
      const mine = await out.read(selected.map((contact) => walkInKey(contact.id)));
      for (const contact of selected) {
        const key = walkInKey(contact.id);
        if (mine.has(key)) out.child({ sahutId: contact.id, crmId: key, walkIn: true });
      }
    },
  };
}

/** A record job's walk-in: matched, linked or created in the CRM (see `syncWalkIn`). */
export function applyWalkIn(
  rt: Runtime,
  name: string,
  target: { sahutId: string; crmId: string },
  signal?: AbortSignal,
): Promise<RecordOutcome> {
  const connection = rt.connection(name);
  const ctx = { connection, defaultRegion: rt.config.defaultRegion, ...(signal ? { signal } : {}) };
  const ports = { sahut: rt.sahut, store: rt.store, locks: rt.locks, crm: creatorOf(rt, name) };
  return syncWalkIn(ports, ctx, { sahutId: target.sahutId, key: target.crmId });
}

function creatorOf(rt: Runtime, name: string): CrmCreator {
  const connector = rt.connector(name);
  const { update, create, findByIdentity } = connector;
  const able = connector.capabilities.update && connector.capabilities.create;
  if (!able || !update || !create || !findByIdentity) throw new UnrecoverableError(cannotCreate(name));
  return {
    get: (id) => connector.get(id),
    update: update.bind(connector),
    create: create.bind(connector),
    findByIdentity: findByIdentity.bind(connector),
  };
}
