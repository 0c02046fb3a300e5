import { syncOptionsSchema } from '../../src/config/index.ts';
import type { Run } from '../../src/store/index.ts';
import type { SahutProcess } from './sahut.ts';
import { type Check, check } from './types.ts';

/** Whether this checkout's connections accept `options.match: <mode>` (issue 11; absent before it). */
export const supportsMatch = (mode: 'search' | 'scan' | 'auto') =>
  syncOptionsSchema.safeParse({ match: mode }).success;

export const skipped = (target: string, why: string): Check => ({ target, verdict: 'SKIP', detail: why });

/**
 * Every CRM record created or linked exactly once and Sahut free of duplicates:
 * N/10 of the records had a contact already, the rest are new, and the
 * unrelated contacts are still there untouched.
 */
export async function duplicateCheck(
  label: string,
  sahut: SahutProcess,
  run: Pick<Run, 'counts'>,
  shape: { records: number; matching: number; unrelated: number },
): Promise<Check> {
  const s = await sahut.summary();
  const created = run.counts.created ?? 0;
  const linked = run.counts.linked ?? 0;
  return check(
    `${label}: every record created or linked, 0 duplicates in Sahut`,
    created === shape.records - shape.matching &&
      linked === shape.matching &&
      s.contacts === shape.unrelated + shape.records &&
      s.distinctPhones === s.contacts &&
      s.distinctEmails === s.contacts,
    `created ${created}/${shape.records - shape.matching}, linked ${linked}/${shape.matching}; Sahut holds ` +
      `${s.contacts} contacts (${shape.unrelated + shape.records} expected), ${s.distinctPhones} distinct phones, ` +
      `${s.distinctEmails} distinct emails`,
  );
}
