import type { StoreKind } from '../env.ts';
import type { ChaosCrmKind } from './crm.ts';
import { pick, seededRandom } from './schedule.ts';

export type ChaosDirection = 'crm-to-sahut' | 'sahut-to-crm' | 'both';

/** One combination of the chaos suite's backends and ways. */
export interface ChaosParams {
  crm: ChaosCrmKind;
  store: StoreKind;
  direction: ChaosDirection;
  /** A Redis Sentinel failover (the primary SIGKILLed) at a seeded moment of the chaos. */
  failover: boolean;
  records: number;
}

const CRMS: readonly ChaosCrmKind[] = ['postgres', 'mariadb'];
/** HubSpot (its sandbox) only when CHAOS_CRM=hubspot names it: neither drawn nor in the matrix. */
const OPT_IN_CRMS: readonly ChaosCrmKind[] = [...CRMS, 'hubspot'];
const STORES: readonly StoreKind[] = ['postgres', 'sqlite'];
const DIRECTIONS: readonly ChaosDirection[] = ['crm-to-sahut', 'sahut-to-crm', 'both'];

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new Error(`${name}=${value}: expected one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * The combinations to run, from the environment. `CHAOS_MATRIX=1` (what
 * `npm run test:chaos` sets): every CRM × store × direction, plus a Sentinel
 * failover on each CRM × store two-way; each CHAOS_* variable set narrows
 * it to that value. Without CHAOS_MATRIX (`npm test`): one combination, the
 * variables set and the rest drawn from the first seed (two-way unless told;
 * a failover one time in two). The CRMs drawn or crossed are PostgreSQL and
 * MariaDB; HubSpot runs only when CHAOS_CRM=hubspot names it (with
 * CHAOS_MATRIX=1, its eight combinations), as it would make the matrix half
 * as long again.
 */
export function chaosCombinations(
  env: NodeJS.ProcessEnv,
  firstSeed: number,
  records: number,
  /** Whether `redis-server` is there to start a Sentinel group with. */
  sentinels: boolean,
): ChaosParams[] {
  const crm = oneOf('CHAOS_CRM', env.CHAOS_CRM, OPT_IN_CRMS);
  const store = oneOf('CHAOS_STORE', env.CHAOS_STORE, STORES);
  const direction = oneOf('CHAOS_DIRECTION', env.CHAOS_DIRECTION, DIRECTIONS);
  const failover =
    env.CHAOS_FAILOVER === undefined || env.CHAOS_FAILOVER === '' ? undefined : env.CHAOS_FAILOVER === '1';
  if (env.CHAOS_MATRIX !== '1') {
    const random = seededRandom(firstSeed ^ 0x5eed);
    return [
      {
        crm: crm ?? pick(random, CRMS),
        store: store ?? pick(random, STORES),
        direction: direction ?? 'both',
        failover: failover ?? (sentinels && random() < 0.5),
        records,
      },
    ];
  }
  const all: ChaosParams[] = [];
  for (const c of crm ? [crm] : CRMS)
    for (const s of store ? [store] : STORES) {
      for (const d of direction ? [direction] : DIRECTIONS)
        if (failover !== true) all.push({ crm: c, store: s, direction: d, failover: false, records });
      if (failover !== false)
        all.push({ crm: c, store: s, direction: direction ?? 'both', failover: true, records });
    }
  return all;
}

export const describeParams = (p: ChaosParams) =>
  `${p.crm} CRM, ${p.store} store, ${p.direction}${p.failover ? ', Sentinel failover' : ''}`;

/** The environment that replays one combination and seed. */
export const replayCommand = (p: ChaosParams, seed: number) =>
  `CHAOS_SEED=${seed} CHAOS_N=${p.records} CHAOS_CRM=${p.crm} CHAOS_STORE=${p.store} CHAOS_DIRECTION=${p.direction}` +
  ` CHAOS_FAILOVER=${p.failover ? 1 : 0} CHAOS_REPEAT=1 bash .ci/node24 npx vitest run --config test/vitest.config.ts test/chaos.test.ts`;
