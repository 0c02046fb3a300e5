import type { Job } from 'bullmq';
import { guardLimit, guardMessage, guardTrips } from '../../sync/removal.ts';
import type { RunJob } from '../jobs.ts';
import { createFanOut } from '../runs/fan-out.ts';
import type { Runtime } from '../runtime.ts';
import { actOnRemoval } from './act.ts';
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
  await findRemovals(rt, connection, data, runId);
  const due = await rt.store.countRemovals(connection.name, 'due');
  if (due === 0) return null;
  const links = (await rt.store.countLinks()).get(connection.name) ?? 0;
  const limit = guardLimit(connection.options.deleteGuard, links);
  if (guardTrips(due, limit, data.allowDeletes))
    return { message: guardMessage(connection.name, due, links, limit), due, links, limit };

  const out = createFanOut(rt, job, runId, connection.name, data.direction, data.window + 1);
  const ctx = { rt, connection, runId };
  for (let after: { crmId: string; side: 'crm' | 'sahut' } | null = null; ; ) {
    const page = await rt.store.listRemovals(connection.name, 'due', after, PAGE);
    await out.read(page.map((r) => r.crmId));
    for (const removal of page) {
      try {
        const { action, sahutId, diff, error, detail } = await actOnRemoval(ctx, removal);
        // Only the audit row's own fields: an outcome from the apply step carries its link too.
        out.audit(removal.crmId, action, {
          sahutId,
          diff,
          error,
          ...(detail === undefined ? {} : { detail }),
        });
      } catch (err) {
        // It stays due: the next run tries again.
        const error = `removal (${removal.side}, ${removal.reason}) not carried out: ${(err as Error).message}`;
        out.audit(removal.crmId, 'failed', { sahutId: removal.sahutId, error });
      }
    }
    await out.flush();
    const last = page.at(-1);
    if (page.length < PAGE || !last) break;
    after = { crmId: last.crmId, side: last.side };
  }
  return null;
}
