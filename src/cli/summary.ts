import { AUDIT_ACTIONS, type AuditAction, type Run, type Store } from '../store/types.ts';
import type { Report } from './report.ts';

const FAILING: AuditAction[] = ['failed', 'ambiguous', 'rejected'];
const LISTED = 20;

interface Attention {
  action: AuditAction;
  count: number;
  /** The first LISTED records, each with why it needs a person. */
  records: { crmId: string | null; reason: string }[];
  /** How to list them all, when there are more. */
  more?: string;
}

/**
 * Reports each run and names the records that need attention; returns how many
 * there are (a run that could not finish counts as one). On a terminal: a table
 * of actions per run (only the actions that happened get a column, so it fits;
 * `records` is what the run read), written at once so no log line lands inside
 * it. Off a terminal: one `run summary` log line per run, with the same facts.
 */
export async function reportRuns(store: Store, runs: readonly Run[], report: Report): Promise<number> {
  let failing = 0;
  const described: { run: Run; attention: Attention[] }[] = [];
  for (const run of runs) {
    const attention: Attention[] = [];
    for (const action of FAILING) {
      const count = run.counts[action] ?? 0;
      if (count === 0) continue;
      const page = await store.queryAudit({ runId: run.id, action, limit: LISTED });
      const records = page.rows.map((row) => ({ crmId: row.crmId, reason: row.error ?? action }));
      const more = count > records.length ? `sahut-sync audit --run ${run.id} --action ${action}` : undefined;
      attention.push({ action, count, records, ...(more ? { more } : {}) });
    }
    // A run that could not finish, or whose books do not balance, needs a person as much as a bad record.
    failing += (run.status === 'failed' ? 1 : 0) + attention.reduce((n, a) => n + a.count, 0);
    described.push({ run, attention });
  }
  if (report.human) report.out.write(text(described));
  else
    for (const { run, attention } of described)
      report.log.info(
        {
          runId: run.id,
          connection: run.connection,
          direction: run.direction,
          status: run.status,
          records: run.total,
          counts: run.counts,
          match: run.match,
          callsSaved: run.callsSaved,
          note: run.note,
          attention,
        },
        'run summary',
      );
  return failing;
}

function text(described: readonly { run: Run; attention: Attention[] }[]): string {
  const runs = described.map((d) => d.run);
  const actions = AUDIT_ACTIONS.filter((a) => runs.some((run) => (run.counts[a] ?? 0) > 0));
  const rows = runs.map((run) => [
    run.id,
    run.connection,
    run.direction,
    run.status,
    String(run.total),
    ...actions.map((a) => String(run.counts[a] ?? 0)),
  ]);
  let text = `${table(['run', 'connection', 'direction', 'status', 'records', ...actions], rows)}\n`;
  for (const { run, attention } of described) {
    if (run.match?.includes('scan')) {
      const how =
        run.match === 'scan' ? 'matched against one scan of Sahut' : 'searched, then matched against a scan';
      text += `\n${run.id}: new records ${how}; ${run.callsSaved ?? 0} Sahut calls saved\n`;
    }
    if (run.status === 'failed') text += `\n${run.id} failed: ${run.note ?? 'see the log'}\n`;
    for (const { action, count, records, more } of attention) {
      text += `\n${count} ${action} in ${run.id}:\n`;
      for (const { crmId, reason } of records) text += `  crm ${crmId ?? '-'}: ${reason}\n`;
      if (more) text += `  … see: ${more}\n`;
    }
  }
  return text;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
