import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import type pg from 'pg';
import { cpuMsOf, rssOf } from './procfs.ts';
import type { ProcessFigure } from './types.ts';

type Role = ProcessFigure['role'];

/**
 * What a watch follows. `self`: this process (its RSS sampled, since its lifetime
 * peak belongs to earlier scenarios too). `pid`: a live process; `usageFile` is
 * where usage.ts writes its lifetime CPU and peak RSS when it exits, for a process
 * that ends before the watch does. `lifetime`: count its CPU from its start rather
 * than from when the watch began. `pg`: the PostgreSQL backends whose
 * application_name is one of `appNames` (read from pg_stat_activity, then /proc).
 */
export type Watched =
  | { kind: 'self'; name: string; role: Role }
  | { kind: 'pid'; name: string; role: Role; pid: number; usageFile?: string; lifetime?: boolean }
  | { kind: 'pg'; name: string; role: Role; client: pg.Client; appNames: string[] };

interface Tracked {
  source: Watched;
  base: Map<number, number>;
  last: Map<number, number>;
  peakMb: number | null;
}

export interface Watch {
  add(source: Watched): void;
  /** Final readings: CPU used since the watch began (or since start, for `lifetime`), peak RSS. */
  stop(): Promise<{ processes: ProcessFigure[]; load: number }>;
}

export function startWatch(sources: Watched[], everyMs = 200): Watch {
  const tracked: Tracked[] = [];
  const selfBase = process.cpuUsage();
  const loads: number[] = [];
  let sampling: Promise<void> = Promise.resolve();

  const sample = async (t: Tracked, first: boolean) => {
    const s = t.source;
    if (s.kind === 'self') {
      t.peakMb = Math.max(t.peakMb ?? 0, process.memoryUsage.rss() / 2 ** 20);
      return;
    }
    const pids =
      s.kind === 'pid'
        ? [s.pid]
        : (
            await s.client.query<{ pid: number }>(
              'SELECT pid FROM pg_stat_activity WHERE application_name = ANY($1)',
              [s.appNames],
            )
          ).rows.map((r) => r.pid);
    for (const pid of pids) {
      const cpu = cpuMsOf(pid);
      if (cpu === undefined) continue;
      // A backend first seen after the start was opened during the run: all of its CPU counts.
      if (!t.base.has(pid)) t.base.set(pid, first && !(s.kind === 'pid' && s.lifetime) ? cpu : 0);
      t.last.set(pid, cpu);
      const rss = s.kind === 'pid' ? rssOf(pid) : undefined;
      if (rss) t.peakMb = Math.max(t.peakMb ?? 0, rss.hwmMb);
    }
  };
  const sampleAll = (first: boolean) => {
    loads.push(loadavg()[0] ?? 0);
    // One after the other: the PostgreSQL sources share one client, which runs one query at a time.
    sampling = sampling.then(async () => {
      for (const t of tracked) await sample(t, first);
    });
    return sampling;
  };
  const add = (source: Watched) => {
    const t: Tracked = { source, base: new Map(), last: new Map(), peakMb: null };
    tracked.push(t);
    sampling = sampling.then(() => sample(t, true));
  };
  for (const s of sources) add(s);
  const timer = setInterval(() => void sampleAll(false).catch(() => {}), everyMs);

  return {
    add,
    async stop() {
      clearInterval(timer);
      await sampleAll(false);
      const processes: ProcessFigure[] = [];
      for (const t of tracked) {
        const s = t.source;
        let cpuMs: number;
        if (s.kind === 'self') {
          const u = process.cpuUsage(selfBase);
          cpuMs = (u.user + u.system) / 1000;
        } else {
          if (s.kind === 'pid' && s.usageFile && cpuMsOf(s.pid) === undefined) {
            const usage = await readUsage(s.usageFile);
            if (usage) {
              t.last.set(s.pid, usage.cpuMs);
              t.peakMb = Math.max(t.peakMb ?? 0, usage.peakRssMb);
            }
          }
          cpuMs = [...t.last].reduce((sum, [pid, v]) => sum + v - (t.base.get(pid) ?? 0), 0);
        }
        processes.push({ name: s.name, role: s.role, cpuMs, peakRssMb: s.kind === 'pg' ? null : t.peakMb });
      }
      const load = loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length);
      return { processes, load };
    },
  };
}

/** What usage.ts left behind when its process exited. */
export async function readUsage(file: string): Promise<{ cpuMs: number; peakRssMb: number } | undefined> {
  try {
    const u = JSON.parse(await readFile(file, 'utf8')) as {
      userUs: number;
      systemUs: number;
      maxRssKb: number;
    };
    return { cpuMs: (u.userUs + u.systemUs) / 1000, peakRssMb: u.maxRssKb / 1024 };
  } catch {
    return undefined;
  }
}
