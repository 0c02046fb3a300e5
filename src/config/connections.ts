import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type SourceConfig, sourceSchema } from '../crm/index.ts';
import { DIRECTIONS, type Direction } from '../domain/index.ts';
import { loadMapping, type Mapping } from '../mapping/index.ts';
import { createInCrmMappingProblem, createInCrmProblems, createInCrmSchema } from './create-in-crm.ts';
import { ConfigError } from './errors.ts';
import { expandEnv } from './expand-env.ts';

const validTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** A duration as `90s`, `5m`, `2h`, `1d` (or `0`), in milliseconds. */
const duration = z
  .union([
    z.literal(0),
    z.string().regex(/^\d+(ms|s|m|h|d)$/, 'expected a duration such as 90s, 5m, 2h or 1d'),
  ])
  .transform((v) => {
    if (v === 0) return 0;
    const [, n, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(v) as unknown as [string, string, keyof typeof UNIT_MS];
    return Number(n) * UNIT_MS[unit];
  });

export const syncOptionsSchema = z
  .object({
    /** `reject` audits the record as rejected; `drop` syncs it without the bad field. */
    invalidPhone: z.enum(['reject', 'drop']).default('reject'),
    invalidEmail: z.enum(['reject', 'drop']).default('reject'),
    /** Records with neither phone nor email cannot be deduplicated; create them anyway? */
    createWithoutIdentity: z.boolean().default(false),
    /** Who wins when both sides changed a field owned by `both`. */
    onConflict: z.enum(['crm', 'sahut']).default('crm'),
    /** Records read from the source per page, and per window (the cursor advances per window). */
    pageSize: z.number().int().min(1).max(10_000).default(500),
    windowSize: z.number().int().min(1).max(1_000_000).default(10_000),
    /**
     * Each run re-reads the rows stamped this long before its cursor: a transaction that
     * commits a row after a reader passed its timestamp is still seen (database sources).
     */
    cursorOverlap: duration.default(5 * UNIT_MS.m),
    /** Read the whole source again at most this often, to reconcile what any cursor missed; off by default. */
    fullReadEvery: duration.optional(),
    /**
     * How unlinked records find their Sahut contact: `search` (by phone and email, per record),
     * `scan` (against one paged scan of Sahut, kept in the store), or `auto` (search, unless a
     * run's unlinked records clearly outnumber the scan's cost).
     */
    match: z.enum(['auto', 'search', 'scan']).default('auto'),
    /** A scan index older than this is scanned again before a run matches against it. */
    scanMaxAge: duration.default(10 * UNIT_MS.m),
    /** Sahut contacts no CRM record links to that sahut-to-crm runs create in the CRM; off by default. */
    createInCrm: createInCrmSchema.optional(),
    /**
     * What a record deleted in the CRM does to its Sahut contact before its link is closed:
     * `keep` (nothing), `tag` (adds `crmDeletedTag`, takes off the mapping's constant tags),
     * `clear` (empties the crm-owned fields but the name). Sahut has no DELETE.
     */
    onCrmDelete: z.enum(['keep', 'tag', 'clear']).default('tag'),
    crmDeletedTag: z.string().trim().min(1).default('crm-deleted'),
    /**
     * A linked contact gone from Sahut that no other contact took over (a merge relinks):
     * `flag` (the attention listing asks a person), `recreate` (POSTed again), `unlink`.
     */
    onSahutDelete: z.enum(['flag', 'recreate', 'unlink']).default('flag'),
    /** `soft`: a contact gone from Sahut and unlinked also sets the CRM's `source.deletedColumn`. */
    deleteInCrm: z.enum(['never', 'soft']).default('never'),
    /**
     * A pass that would act on more removals than this (a number, or a share such as `"5%"`
     * of the connection's links) acts on none and fails; unset, the larger of 5 % and 50.
     */
    deleteGuard: z
      .union([
        z.int().min(0),
        z
          .string()
          .regex(/^\d+(\.\d+)?%$/, 'expected a number of links, or a share such as "5%"')
          .transform((v) => v as `${number}%`),
      ])
      .optional(),
  })
  .strict();
export type SyncOptions = z.infer<typeof syncOptionsSchema>;

const connectionSchema = z
  .object({
    source: sourceSchema,
    /** Mapping file, relative to the connections file. */
    mapping: z.string().min(1),
    directions: z.array(z.enum(DIRECTIONS)).min(1).default(['crm-to-sahut']),
    schedule: z
      .object({
        cron: z.string().regex(/^\S+(\s+\S+){4,5}$/, 'expected a cron expression of 5 or 6 fields'),
        tz: z
          .string()
          .refine(validTimeZone, 'expected an IANA time zone such as Asia/Jakarta')
          .default('UTC'),
      })
      .strict()
      .optional(),
    options: syncOptionsSchema.default(syncOptionsSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const p of createInCrmProblems(c)) ctx.addIssue({ code: 'custom', ...p });
    if (
      c.options.deleteInCrm === 'soft' &&
      ((c.source.type !== 'postgres' && c.source.type !== 'mysql') || !c.source.deletedColumn)
    )
      ctx.addIssue({
        code: 'custom',
        path: ['options', 'deleteInCrm'],
        message: 'soft needs source.deletedColumn on a postgres or mysql source',
      });
  });

/** The connections file (`SYNC_CONFIG`). Connection names become parts of job ids and Redis keys: no ':'. */
export const connectionsFileSchema = z
  .object({ connections: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/), connectionSchema) })
  .strict();

export interface Connection {
  name: string;
  source: SourceConfig;
  mapping: Mapping;
  directions: Direction[];
  schedule: { cron: string; tz: string } | undefined;
  options: SyncOptions;
}

/** Reads the connections file (YAML or JSON); relative paths inside it resolve from its folder. */
export function loadConnections(path: string, env: NodeJS.ProcessEnv = process.env): Connection[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`Cannot read the connections file ${path} (SYNC_CONFIG): ${reason}`);
  }
  const parsed = connectionsFileSchema.safeParse(expandEnv(raw, env, path));
  if (!parsed.success) throw ConfigError.fromIssues(path, parsed.error.issues);
  const baseDir = dirname(resolve(path));
  return Object.entries(parsed.data.connections).map(([name, c]) => {
    const mapping = loadMapping(resolve(baseDir, c.mapping));
    const problem = c.options.createInCrm && createInCrmMappingProblem(mapping);
    if (problem)
      throw new ConfigError(
        `Invalid configuration in ${path}:\n  connections.${name}.options.createInCrm: ${problem}`,
      );
    return {
      name,
      source: resolveSource(c.source, baseDir),
      mapping,
      directions: [...new Set(c.directions)],
      schedule: c.schedule,
      options: c.options,
    };
  });
}

function resolveSource(source: SourceConfig, baseDir: string): SourceConfig {
  return source.type === 'file' ? { ...source, path: resolve(baseDir, source.path) } : source;
}

export function findConnection(connections: readonly Connection[], name: string): Connection {
  const found = connections.find((c) => c.name === name);
  if (!found) {
    const known = connections.map((c) => c.name).join(', ') || 'none';
    throw new ConfigError(`Unknown connection "${name}"; the connections file defines: ${known}`);
  }
  return found;
}
