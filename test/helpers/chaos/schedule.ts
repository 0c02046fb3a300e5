import { seeded } from '../../../src/sandbox/index.ts';

/** A seeded source of numbers in [0, 1): the whole chaos schedule derives from one seed. */
export type Random = () => number;

/** mulberry32, its state scrambled first so that neighbouring seeds start far apart. */
export function seededRandom(seed: number): Random {
  let a = Math.imul(seed ^ (seed >>> 16), 0x45d9f3b);
  a = Math.imul(a ^ (a >>> 16), 0x45d9f3b);
  return seeded((a ^ (a >>> 16)) >>> 0);
}

export const pick = <T>(random: Random, items: readonly T[]): T => {
  if (items.length === 0) throw new Error('pick: nothing to pick from');
  return items[Math.floor(random() * items.length)] as T;
};

export type ChaosKind =
  /** SIGKILL one worker, start a replacement. */
  | 'kill-worker'
  /** SIGKILL the `run --once` process and start it again (what cron does next). */
  | 'restart-run-once'
  /** Delete every Redis key of the deployment. */
  | 'wipe-redis'
  /** PostgreSQL: pg_terminate_backend on every connection of this test's store; SQLite: its write lock held. */
  | 'cut-store'
  /** Edit CRM rows (some stamped in the past, as a late commit would be). */
  | 'edit-crm'
  /** Agents edit contacts in Sahut and people write in (two-way phases). */
  | 'edit-sahut'
  /** CRM rows deleted, soft or hard, some entered again (docs/deletions.md). */
  | 'delete-crm'
  /** Agents delete contacts in Sahut, or merge them into others (two-way phases). */
  | 'delete-sahut'
  /** SIGKILL the Redis primary; the sentinels promote its replica (with CHAOS_FAILOVER=1). */
  | 'failover';

export interface ChaosEvent {
  /** Fires once the sandbox has seen this share of the expected POSTs. */
  at: number;
  kind: ChaosKind;
}

/**
 * How many of each, spread at random moments between 5 % and 90 % of the
 * phase's first pass. `sahut`: agents edit Sahut too; `failover`: this phase
 * has the run's one Sentinel failover.
 */
export function chaosSchedule(
  random: Random,
  big: boolean,
  extra: { sahut: boolean; failover: boolean },
): ChaosEvent[] {
  const counts: Record<ChaosKind, number> = {
    'kill-worker': big ? 6 : 3,
    'restart-run-once': big ? 2 : 1,
    'wipe-redis': 1,
    'cut-store': big ? 3 : 2,
    'edit-crm': big ? 4 : 2,
    'edit-sahut': extra.sahut ? (big ? 4 : 2) : 0,
    'delete-crm': big ? 3 : 2,
    'delete-sahut': extra.sahut ? 2 : 0,
    failover: extra.failover ? 1 : 0,
  };
  const events = Object.entries(counts).flatMap(([kind, n]) =>
    Array.from({ length: n }, () => ({ at: 0.05 + random() * 0.85, kind: kind as ChaosKind })),
  );
  return events.sort((a, b) => a.at - b.at);
}

export function describeSchedule(events: readonly ChaosEvent[]): string {
  return events.map((e) => `${Math.round(e.at * 100)}% ${e.kind}`).join(', ');
}
