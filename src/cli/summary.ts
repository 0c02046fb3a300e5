import { AUDIT_ACTIONS, type AuditAction, type Run, type Store } from '../store/types.ts';

const FAILING: AuditAction[] = ['failed', 'ambiguous', 'rejected'];

/**
 * Prints a table of actions per run and names the records that need attention;
 * returns how many there are. Only the actions that happened get a column, so
 * the table fits a terminal; `records` is what the run read. Written at once,
 * so no log line can land inside it.
 */
export async function printRunSummary(
  store: Store,
  runs: readonly Run[],
  out: NodeJS.WritableStream,
): Promise<number> {
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
  let failing = 0;
  for (const run of runs) {
    if (run.match?.includes('scan')) {
      const how =
        run.match === 'scan' ? 'matched against one scan of Sahut' : 'searched, then matched against a scan';
      text += `\n${run.id}: new records ${how}; ${run.callsSaved ?? 0} Sahut calls saved\n`;
    }
    // A run that could not finish, or whose books do not balance, needs a person as much as a bad record.
    if (run.status === 'failed') {
      failing += 1;
      text += `\n${run.id} failed: ${run.note ?? 'see the log'}\n`;
    }
    for (const action of FAILING) {
      const count = run.counts[action] ?? 0;
      if (count === 0) continue;
      failing += count;
      const page = await store.queryAudit({ runId: run.id, action, limit: 20 });
      text += `\n${count} ${action} in ${run.id}:\n`;
      for (const row of page.rows) text += `  crm ${row.crmId ?? '-'}: ${row.error ?? action}\n`;
      if (count > page.rows.length) text += `  … see: sahut-sync audit --run ${run.id} --action ${action}\n`;
    }
  }
  out.write(text);
  return failing;
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
