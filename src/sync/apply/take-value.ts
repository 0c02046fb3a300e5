import type { CrmRecord } from '../../crm/types.ts';
import type { AttrValue, FieldDiff } from '../../domain/index.ts';
import type { ContactPatch, SahutApi } from '../../sahut/types.ts';
import type { Link } from '../../store/types.ts';
import { ownerFor } from '../owners.ts';
import { projectSahut } from '../project.ts';
import { readField, writeField } from './merge-rules.ts';
import { prepareRecord } from './prepare.ts';
import {
  ownersOf,
  type ReconcileContext,
  type ReconcileOutcome,
  type ReconcilePorts,
  reconcile,
} from './reconcile.ts';

/** A person's answer to a conflict: this side's value of the field, on both sides. */
export interface TakeValue {
  field: string;
  side: 'crm' | 'sahut';
  /** The conflict as audited: each side's value, and which one was kept. */
  conflict: { crm: unknown; sahut: unknown; resolution: string };
}

/** The value cannot be taken as asked (the owner rules, a one-way connection, a record that changed). */
export class TakeRefusedError extends Error {
  readonly permanent = true;
}

type Value = AttrValue | string[];

/**
 * After a conflict both sides hold the value that was kept. Taking the other
 * one puts it on Sahut (one PUT of that field), then reconciles with the
 * link's base set, for that field, to the kept value: the merge sees Sahut
 * as the side that changed and carries the value to the CRM, holding
 * identities back as always, and the link ends up describing both sides.
 * Taking the kept value writes nothing. Refused when the owner rules would
 * undo it, when the CRM cannot be written, or when either side holds
 * something else by now (a person should look again).
 */
export async function takeValue(
  ports: ReconcilePorts,
  ctx: ReconcileContext,
  target: { link: Link; record: CrmRecord },
  take: TakeValue,
): Promise<ReconcileOutcome> {
  const { connection, defaultRegion } = ctx;
  const { field, side, conflict } = take;
  if (conflict.resolution !== 'crm' && conflict.resolution !== 'sahut')
    throw new TakeRefusedError(`${field} was merged (both sides' changes kept): there is no value to choose`);
  const kept = conflict[conflict.resolution];
  const value = conflict[side];
  const prepared = prepareRecord(target.record, connection, defaultRegion);
  if (prepared.kind === 'rejected')
    throw new TakeRefusedError(`CRM record ${target.record.id} cannot be synced now: ${prepared.reason}`);
  const contact = await ports.sahut.get(target.link.sahutId, { signal: ctx.signal });
  if (!contact) throw new TakeRefusedError(`contact ${target.link.sahutId} was deleted in Sahut`);
  const held = [
    readField(prepared.contact, field),
    readField(projectSahut(contact, prepared.contact, defaultRegion), field),
  ];
  if (!held.every((v) => same(v, kept)))
    throw new TakeRefusedError(
      `${field} changed since the conflict (CRM ${show(held[0])}, Sahut ${show(held[1])}): look again`,
    );
  const unchanged = { action: 'unchanged' as const, crmId: prepared.crmId, sahutId: target.link.sahutId };
  if (same(value, kept)) return { ...unchanged, diff: null, error: null, conflicts: [], heldBack: [] };

  const owner = ownerFor(ownersOf(connection), field);
  if (owner !== 'both')
    throw new TakeRefusedError(
      `${field} is owned by ${owner === 'crm' ? 'the CRM' : 'Sahut'} (mapping): change it there instead`,
    );
  if (!ports.crm)
    throw new TakeRefusedError(
      `connection ${connection.name} cannot write the CRM: change ${field} in the CRM instead`,
    );
  const after = await ports.sahut.update(target.link.sahutId, patchOf(field, value as Value), {
    signal: ctx.signal,
  });
  const base = structuredClone(target.link.base);
  writeField(base, field, kept as Value);
  const done = await reconcile(ports, ctx, {
    link: { ...target.link, base },
    crm: prepared,
    sahut: after,
    sahutReadAt: performance.now(),
  });
  // The PUT above is part of what this did: it shows in the diff like the merge's own writes.
  const put: FieldDiff = {
    [ctx.direction === 'crm-to-sahut' ? field : `sahut:${field}`]: { before: kept, after: value },
  };
  return {
    ...done,
    action: done.action === 'unchanged' ? 'updated' : done.action,
    diff: { ...done.diff, ...put },
  };
}

function patchOf(field: string, value: Value): ContactPatch {
  const ATTR = 'custom_attributes.';
  if (field.startsWith(ATTR))
    return { custom_attributes: { [field.slice(ATTR.length)]: value as AttrValue } };
  return { [field]: value } as ContactPatch;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const show = (v: unknown) => JSON.stringify(v ?? null);
