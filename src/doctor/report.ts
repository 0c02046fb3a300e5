import type { Check } from './types.ts';

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

/** The checks as a checklist, group by group, each problem followed by its fix; then a one-line verdict. */
export function checklist(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines: string[] = [];
  let group = '';
  for (const c of checks) {
    if (c.group !== group) {
      group = c.group;
      lines.push(lines.length > 0 ? `\n${group}` : group);
    }
    lines.push(`  ${MARK[c.status]}  ${c.name.padEnd(width)}  ${c.detail}`);
    if (c.fix !== undefined) lines.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  fix: ${c.fix}`);
  }
  return `${lines.join('\n')}\n\n${verdict(checks)}\n`;
}

export function verdict(checks: readonly Check[]): string {
  const failures = checks.filter((c) => c.status === 'fail').length;
  const warnings = checks.filter((c) => c.status === 'warn').length;
  const also = warnings > 0 ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : '';
  return failures > 0 ? `${failures} to fix${also}.` : `Ready${also}.`;
}

/** `--json`: the same checks, for scripts and monitoring. */
export function doctorJson(checks: readonly Check[]) {
  return {
    ok: checks.every((c) => c.status !== 'fail'),
    failures: checks.filter((c) => c.status === 'fail').length,
    warnings: checks.filter((c) => c.status === 'warn').length,
    checks,
  };
}
