import type { Run } from '../../src/store/index.ts';
import type { Deployment } from './deployment.ts';
import { measure, runSeconds } from './measure.ts';
import type { Measurement } from './types.ts';
import type { Watched } from './watch.ts';

/**
 * One `sahut-sync run --once` of a deployment, timed from its spawn to its exit,
 * with the CPU of every process involved: the running workers (from when it
 * starts), the run process (its whole life: start-up is part of end to end),
 * Redis, the PostgreSQL backends of the store and the CRM, and the Sahut
 * stand-in (reported, not counted).
 */
export async function measureDeploymentRun(
  d: Deployment,
  opts: { label: string; records: number; redisPid: number; direction?: 'crm-to-sahut' | 'sahut-to-crm' },
): Promise<{ m: Measurement; run: Run; exitCode: number | null }> {
  const direction = opts.direction ?? 'crm-to-sahut';
  const ctx = {
    label: opts.label,
    records: opts.records,
    rate: null,
    sahut: d.sahut,
    redisPid: opts.redisPid,
  };
  const workers = d.workers.flatMap((w): Watched[] => [
    { kind: 'pid', name: w.name, role: 'engine', pid: w.pid, usageFile: w.usageFile },
    d.storeBackends(w.name),
  ]);
  const { m, value: exitCode } = await measure(ctx, [...workers, d.crmBackends], async (watch) => {
    const p = d.runOnce(direction);
    watch.add({
      kind: 'pid',
      name: 'run --once',
      role: 'engine',
      pid: p.pid,
      usageFile: p.usageFile,
      lifetime: true,
    });
    watch.add(d.storeBackends(p.name));
    const { code, signal } = await p.exited;
    if (code === null || code > 1)
      throw new Error(`run --once ended with ${signal ?? code}:\n${p.output().slice(-3000)}`);
    return code;
  });
  const run = await d.lastRun(direction);
  return { m: { ...m, runSeconds: runSeconds(run) }, run, exitCode };
}
