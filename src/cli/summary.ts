import { AUDIT_ACTIONS, type AuditAction, type Run, type Store } from '../store/types.ts';

const FAILING: AuditAction[] = ['failed', 'ambiguous', 'rejected'];

/** Prints a table of actions per run and names the records that need attention; returns how many there are. */
export async function printRunSummary(
  store: Store,
  runs: readonly Run[],
  out: NodeJS.WritableStream,
): Promise<number> {
  const rows = runs.map((run) => [
    run.id,
    run.connection,
    run.direction,
    run.status,
    ...AUDIT_ACTIONS.map((a) => String(run.counts[a] ?? 0)),
  ]);
  out.write(`${table(['run', 'connection', 'direction', 'status', ...AUDIT_ACTIONS], rows)}\n`);
  let failing = 0;
  for (const run of runs) {
    for (const action of FAILING) {
      const count = run.counts[action] ?? 0;
      if (count === 0) continue;
      failing += count;
      const page = await store.queryAudit({ runId: run.id, action, limit: 20 });
      out.write(`\n${count} ${action} in ${run.id}:\n`);
      for (const row of page.rows) out.write(`  crm ${row.crmId ?? '-'}: ${row.error ?? action}\n`);
      if (count > page.rows.length)
        out.write(`  … see: sahut-sync audit --run ${run.id} --action ${action}\n`);
    }
  }
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
