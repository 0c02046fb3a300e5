import { z } from 'zod';
import type { Removal } from './removal-types.ts';
import { integer, timestamp } from './rows.ts';

/** A `removals` row as either backend returns it. */
export const removalRowSchema = z
  .object({
    connection: z.string(),
    crm_id: z.string(),
    side: z.enum(['crm', 'sahut']),
    sahut_id: z.string(),
    reason: z.enum(['soft-deleted', 'tombstone', 'absent', 'not-found', 'missing']),
    misses: integer,
    state: z.enum(['counting', 'due', 'flagged']),
    decision: z.enum(['recreate', 'unlink']).nullable(),
    run_id: z.string(),
    first_at: timestamp,
    at: timestamp,
  })
  .transform(
    (r): Removal => ({
      connection: r.connection,
      crmId: r.crm_id,
      side: r.side,
      sahutId: r.sahut_id,
      reason: r.reason,
      misses: r.misses,
      state: r.state,
      decision: r.decision,
      runId: r.run_id,
      firstAt: r.first_at,
      at: r.at,
    }),
  );

export const REMOVAL_COLUMNS =
  'connection, crm_id, side, sahut_id, reason, misses, state, decision, run_id, first_at, at';

export const countRowSchema = z.object({ n: integer });
export const sahutIdRowSchema = z.object({ sahut_id: z.string() });
