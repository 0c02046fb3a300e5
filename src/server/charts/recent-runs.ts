import type { Direction } from '../../domain/index.ts';
import type { Run, Store } from '../../store/index.ts';

/** Runs per chart: recent enough to see a trend, few enough for readable bars. */
export const CHART_RUNS = 20;

/** The last runs of one connection in one direction, oldest first (the order a chart reads). */
export interface RunSeries {
  connection: string;
  direction: Direction;
  runs: Run[];
}

/**
 * For each connection and direction among `listed` (in the order they first
 * appear), its last CHART_RUNS runs, as `/api/runs?connection=&direction=&limit=`
 * lists them, oldest first.
 */
export async function recentRunsByPair(store: Store, listed: readonly Run[]): Promise<RunSeries[]> {
  const pairs = new Map<string, Pick<RunSeries, 'connection' | 'direction'>>();
  for (const { connection, direction } of listed) {
    const key = `${connection}\u0000${direction}`;
    if (!pairs.has(key)) pairs.set(key, { connection, direction });
  }
  return Promise.all(
    [...pairs.values()].map(async (pair) => ({
      ...pair,
      runs: (await store.listRuns({ ...pair, limit: CHART_RUNS })).reverse(),
    })),
  );
}

/** How long a run took, in seconds; null while it runs. */
export const durationSeconds = (run: Pick<Run, 'startedAt' | 'finishedAt'>): number | null =>
  run.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : null;
