import { escapeIdentifier, Pool } from 'pg';
import { guardPool } from '../../pg/index.ts';
import { checkAttentionQuery } from '../attention-rows.ts';
import { StoreArgumentError } from '../errors.ts';
import { checkLimit, DEFAULT_FIND_LIMIT, MAX_PAGE } from '../limits.ts';
import { NON_OUTCOME_ACTIONS, type Store } from '../types.ts';
import { countAttention, getAttention, listAttention } from './attention.ts';
import { appendAudit, auditTimeline, queryAudit } from './audit.ts';
import { addRunRecords, dropRunRecords, listCarried, settleRunRecords, unaccounted } from './books.ts';
import { claimIdentities, claimIdentitiesBatch, releaseIdentities, renewIdentities } from './claims.ts';
import type { PgContext } from './context.ts';
import { getCursor, lastFullRead, markFullRead, setCursor } from './cursors.ts';
import { addCarried, getDecision, getDecisions, saveDecision } from './decisions.ts';
import {
  countLinks,
  findLinks,
  getLinks,
  getLinksBySahutIds,
  listLinks,
  saveRecordWrites,
  upsertLink,
} from './links.ts';
import { migrate, pendingMigrations } from './migrate.ts';
import {
  closedContacts,
  closeLink,
  countRemovals,
  countScanMisses,
  dropRemovals,
  getRemoval,
  listRemovals,
  noteAbsentRecords,
  noteRemovals,
  setRemoval,
} from './removals.ts';
import { addRunTotal, finishRun, getRun, listRuns, runProgress, setRunMatch, startRun } from './runs.ts';
import {
  findIndexed,
  findIndexedBatch,
  finishScan,
  indexContacts,
  lastScan,
  startScan,
} from './sahut-index.ts';
import { searchLinks } from './search.ts';

export const DEFAULT_SCHEMA = 'sahut_sync';
const DEFAULT_POOL_SIZE = 10;
const CONNECT_TIMEOUT_MS = 10_000;

/** Either a pool the caller owns (and closes), or a URL from which the store builds and owns one. */
export type PostgresOptions = { schema?: string } & ({ pool: Pool } | { url: string; poolSize?: number });

/** The shared store: every table lives in `schema` (default `sahut_sync`). */
export function createPostgresStore(options: PostgresOptions): Store {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  if (schema.length === 0 || Buffer.byteLength(schema) > 63) {
    throw new StoreArgumentError('PostgreSQL schema name must be 1 to 63 bytes long');
  }
  const ownsPool = !('pool' in options);
  const pool = guardPool(
    'pool' in options ? options.pool : createPool(options.url, options.poolSize ?? DEFAULT_POOL_SIZE),
  );
  const ctx: PgContext = { pool, schema: escapeIdentifier(schema), schemaName: schema };
  let closed = false;

  return {
    migrate: () => migrate(ctx),
    pendingMigrations: () => pendingMigrations(ctx),
    ping: async () => {
      await pool.query('select 1');
    },
    close: async () => {
      if (!ownsPool || closed) return;
      closed = true;
      await pool.end();
    },

    // links
    getLinks: (connection, crmIds) => getLinks(ctx, connection, crmIds),
    getLinksBySahutIds: (connection, sahutIds) => getLinksBySahutIds(ctx, connection, sahutIds),
    findLinks: async (lookup, limit = DEFAULT_FIND_LIMIT) =>
      findLinks(ctx, lookup, checkLimit('Link lookup size', limit, MAX_PAGE)),
    searchLinks: async (search, limit = DEFAULT_FIND_LIMIT) =>
      searchLinks(ctx, search, checkLimit('Link search size', limit, MAX_PAGE)),
    listLinks: async (connection, afterCrmId, limit) =>
      listLinks(ctx, connection, afterCrmId, checkLimit('Link page size', limit, MAX_PAGE)),
    upsertLink: (link) => upsertLink(ctx, link),
    saveRecordWrites: (writes) => saveRecordWrites(ctx, writes),
    countLinks: () => countLinks(ctx),

    // audit
    appendAudit: (entries) => appendAudit(ctx, entries),
    queryAudit: (query) => queryAudit(ctx, query),
    auditTimeline: (runId, bucketMs) => auditTimeline(ctx, runId, bucketMs),

    // the attention listing and decisions
    listAttention: async (query) => listAttention(ctx, checkAttentionQuery(query)),
    getAttention: (connection, id) => getAttention(ctx, connection, id),
    countAttention: () => countAttention(ctx),
    getDecision: (connection, crmId) => getDecision(ctx, connection, crmId),
    getDecisions: (connection, crmIds) => getDecisions(ctx, connection, crmIds),
    saveDecision: (decision) => saveDecision(ctx, decision),

    // runs and cursors
    startRun: (run) => startRun(ctx, run),
    addRunTotal: (runId, records) => addRunTotal(ctx, runId, records),
    finishRun: (runId, status, note) => finishRun(ctx, runId, status, note),
    getRun: (runId) => getRun(ctx, runId),
    runProgress: (runId) => runProgress(ctx, runId, NON_OUTCOME_ACTIONS),
    listRuns: async (filter) =>
      listRuns(ctx, { ...filter, limit: checkLimit('Run list size', filter.limit, MAX_PAGE) }),
    getCursor: (connection, direction) => getCursor(ctx, connection, direction),
    setCursor: (connection, direction, cursor) => setCursor(ctx, connection, direction, cursor),
    lastFullRead: (connection, direction) => lastFullRead(ctx, connection, direction),
    markFullRead: (connection, direction, at) => markFullRead(ctx, connection, direction, at),

    setRunMatch: (runId, match, callsSaved) => setRunMatch(ctx, runId, match, callsSaved),

    // the scan index
    indexContacts: (connection, rows, seenAt) => indexContacts(ctx, connection, rows, seenAt),
    findIndexed: (identity) => findIndexed(ctx, identity),
    findIndexedBatch: (identities) => findIndexedBatch(ctx, identities),
    startScan: (id, at) => startScan(ctx, id, at),
    finishScan: (id, counts, at) => finishScan(ctx, id, counts, at),
    lastScan: () => lastScan(ctx),

    // removals
    noteRemovals: (connection, runId, removals) => noteRemovals(ctx, connection, runId, removals),
    countScanMisses: (connection, runId) => countScanMisses(ctx, connection, runId),
    noteAbsentRecords: (connection, runId) => noteAbsentRecords(ctx, connection, runId),
    listRemovals: async (connection, state, after, limit) =>
      listRemovals(ctx, connection, state, after, checkLimit('Removal page size', limit, MAX_PAGE)),
    countRemovals: (connection, state) => countRemovals(ctx, connection, state),
    getRemoval: (connection, crmId, side) => getRemoval(ctx, connection, crmId, side),
    setRemoval: (connection, crmId, side, change) => setRemoval(ctx, connection, crmId, side, change),
    dropRemovals: (connection, keys) => dropRemovals(ctx, connection, keys),
    closeLink: (connection, crmId, closure) => closeLink(ctx, connection, crmId, closure),
    closedContacts: (connection, sahutIds) => closedContacts(ctx, connection, sahutIds),

    // identity claims
    claimIdentities: (claim) => claimIdentities(ctx, claim),
    claimIdentitiesBatch: (batch) => claimIdentitiesBatch(ctx, batch),
    renewIdentities: (claim) => renewIdentities(ctx, claim),
    releaseIdentities: (claim) => releaseIdentities(ctx, claim),

    // the books of a run
    addRunRecords: (runId, window, crmIds, hashes) => addRunRecords(ctx, runId, window, crmIds, hashes),
    unaccounted: (runId, window) => unaccounted(ctx, runId, window),
    settleRunRecords: (runId, window, carry) => settleRunRecords(ctx, runId, window, carry),
    dropRunRecords: (runId) => dropRunRecords(ctx, runId),
    addCarried: (connection, direction, crmIds, runId) =>
      addCarried(ctx, connection, direction, crmIds, runId),
    listCarried: async (connection, direction, afterCrmId, limit) =>
      listCarried(ctx, connection, direction, afterCrmId, checkLimit('Carried page size', limit, MAX_PAGE)),
  };
}

function createPool(url: string, poolSize: number): Pool {
  // Say what is wrong without echoing the string: it may hold a password.
  if (!URL.canParse(url)) throw new StoreArgumentError('The PostgreSQL connection string is not a valid URL');
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new StoreArgumentError('PostgreSQL pool size must be a positive integer');
  }
  return new Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'sahut-sync',
  });
}
