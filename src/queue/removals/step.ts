import type { Job } from 'bullmq';
import type { AuditAction, Removal } from '../../store/types.ts';
import { guardLimit, guardMessage, guardTrips } from '../../sync/removal.ts';
import type { RunJob } from '../jobs.ts';
import { createFanOut } from '../runs/fan-out.ts';
import type { Runtime } from '../runtime.ts';
import { type Acted, actOnRemoval, finishRemoval, thenOf } from './act.ts';
import { findRemovals } from './find.ts';

const PAGE = 100;

/**
 * The end of every run: finds what was removed on either side, then acts on
 * every due removal of the connection, unless there are more than the
 * deletion guard allows: then it acts on none and returns the guard's message
 * (the run fails with it, and a person confirms with `--allow-deletes`).
 * Each removal acted on is booked in the run (window `window`) with one audit row.
 */
/** What stopped a run: the guard's message, and its numbers (a person confirms `due`). */
export interface GuardTrip {
  message: string;
  due: number;
  links: number;
  limit: number;
}

export async function removalStep(
  rt: Runtime,
  job: Job,
  data: RunJob,
  runId: string,
): Promise<GuardTrip | null> {
  const connection = rt.connection(data.connection);
  const out = createFanOut(rt, job, runId, connection.name, data.direction, data.window + 1);
  // A record deleted before it was ever linked has nothing in Sahut; its row tells its end (a run
  // that read it and never finished has no other outcome to give it).
  await findRemovals(rt, connection, data, runId, async (unlinked) => {
    for (const id of await out.read(unlinked))
      out.audit(id, 'unchanged', {
        error: 'deleted in the CRM before it was ever linked: nothing to do in Sahut',
        detail: { found: 'tombstone' },
      });
    await out.flush();
  });
  const due = await rt.store.countRemovals(connection.name, 'due');
  if (due === 0) return null;
  const links = (await rt.store.countLinks()).get(connection.name) ?? 0;
  const limit = guardLimit(connection.options.deleteGuard, links);
  if (guardTrips(due, limit, data.allowDeletes))
    return { message: guardMessage(connection.name, due, links, limit), due, links, limit };

  const ctx = { rt, connection, runId };
  for (let after: { crmId: string; side: 'crm' | 'sahut' } | null = null; ; ) {
    const page = await rt.store.listRemovals(connection.name, 'due', after, PAGE);
    await out.read(page.map((r) => r.crmId));
    const settled = await settledEarlier(rt, runId, page);
    for (const removal of page) {
      const earlier = settled.get(`${removal.crmId} ${removal.side}`);
      if (earlier !== undefined) {
        const then = thenOf(earlier);
        if (then) await finishRemoval(ctx, removal, then);
        continue;
      }
      let acted: Acted;
      try {
        acted = await actOnRemoval(ctx, removal);
      } catch (err) {
        // It stays due: the next run tries again.
        const error = `removal (${removal.side}, ${removal.reason}) not carried out: ${(err as Error).message}`;
        out.audit(removal.crmId, 'failed', {
          sahutId: removal.sahutId,
          error,
          detail: { removal: removal.side },
        });
        continue;
      }
      const { action, sahutId, diff, error, detail } = acted;
      // Only the audit row's own fields: an outcome from the apply step carries its link too.
      // `detail.removal` says which removal the row ends, for an attempt that finds it on record.
      out.audit(removal.crmId, action, {
        sahutId,
        diff,
        error,
        detail: { ...asObject(detail), removal: removal.side },
      });
      // On record before the removal leaves: an attempt stopped in between is finished by the next.
      await out.flush();
      await finishRemoval(ctx, removal, acted.after);
    }
    await out.flush();
    const last = page.at(-1);
    if (page.length < PAGE || !last) break;
    after = { crmId: last.crmId, side: last.side };
  }
  return null;
}

/**
 * The removals of this page an earlier attempt of the run acted on and recorded, with their
 * outcome, but stopped before finishing (the removal still due): they are finished, not acted
 * on twice. A removal's row names its side in `detail.removal`.
 */
async function settledEarlier(rt: Runtime, runId: string, page: readonly Removal[]) {
  const settled = new Map<string, AuditAction>();
  for (const removal of page) {
    const { rows } = await rt.store.queryAudit({ runId, crmId: removal.crmId, limit: 20 });
    const row = rows.find((r) => asObject(r.detail).removal === removal.side);
    if (row) settled.set(`${removal.crmId} ${removal.side}`, row.action);
  }
  return settled;
}

const asObject = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
