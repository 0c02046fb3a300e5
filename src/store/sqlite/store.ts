import { checkAttentionQuery } from '../attention-rows.ts';
import { checkLimit, DEFAULT_FIND_LIMIT, MAX_PAGE } from '../limits.ts';
import { NON_OUTCOME_ACTIONS, type Store } from '../types.ts';
import { countAttention, getAttention, listAttention } from './attention.ts';
import { appendAudit, auditTimeline, queryAudit } from './audit.ts';
import { addRunRecords, dropRunRecords, listCarried, settleRunRecords, unaccounted } from './books.ts';
import { claimIdentities, claimIdentitiesBatch, releaseIdentities, renewIdentities } from './claims.ts';
import { getCursor, lastFullRead, markFullRead, setCursor } from './cursors.ts';
import { SqliteDatabase, type SqliteOptions } from './database.ts';
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

/**
 * The embedded store (one host). `node:sqlite` is synchronous: each method runs
 * to completion before it returns its promise, so a thrown error becomes a rejection.
 */
export function createSqliteStore(options: SqliteOptions): Store {
  const db = new SqliteDatabase(options);
  return {
    migrate: async () => migrate(db),
    pendingMigrations: async () => pendingMigrations(db),
    ping: async () => {
      db.statement('select 1').get();
    },
    close: async () => db.close(),

    // links
    getLinks: async (connection, crmIds) => getLinks(db, connection, crmIds),
    getLinksBySahutIds: async (connection, sahutIds) => getLinksBySahutIds(db, connection, sahutIds),
    findLinks: async (lookup, limit = DEFAULT_FIND_LIMIT) =>
      findLinks(db, lookup, checkLimit('Link lookup size', limit, MAX_PAGE)),
    searchLinks: async (search, limit = DEFAULT_FIND_LIMIT) =>
      searchLinks(db, search, checkLimit('Link search size', limit, MAX_PAGE)),
    listLinks: async (connection, afterCrmId, limit) =>
      listLinks(db, connection, afterCrmId, checkLimit('Link page size', limit, MAX_PAGE)),
    upsertLink: async (link) => upsertLink(db, link),
    saveRecordWrites: async (writes) => saveRecordWrites(db, writes),
    countLinks: async () => countLinks(db),

    // audit
    appendAudit: async (entries) => appendAudit(db, entries),
    queryAudit: async (query) => queryAudit(db, query),
    auditTimeline: async (runId, bucketMs) => auditTimeline(db, runId, bucketMs),

    // the attention listing and decisions
    listAttention: async (query) => listAttention(db, checkAttentionQuery(query)),
    getAttention: async (connection, id) => getAttention(db, connection, id),
    countAttention: async () => countAttention(db),
    getDecision: async (connection, crmId) => getDecision(db, connection, crmId),
    getDecisions: async (connection, crmIds) => getDecisions(db, connection, crmIds),
    saveDecision: async (decision) => saveDecision(db, decision),

    // runs and cursors
    startRun: async (run) => startRun(db, run),
    addRunTotal: async (runId, records) => addRunTotal(db, runId, records),
    finishRun: async (runId, status, note) => finishRun(db, runId, status, note),
    getRun: async (runId) => getRun(db, runId),
    runProgress: async (runId) => runProgress(db, runId, NON_OUTCOME_ACTIONS),
    listRuns: async (filter) =>
      listRuns(db, { ...filter, limit: checkLimit('Run list size', filter.limit, MAX_PAGE) }),
    getCursor: async (connection, direction) => getCursor(db, connection, direction),
    setCursor: async (connection, direction, cursor) => setCursor(db, connection, direction, cursor),
    lastFullRead: async (connection, direction) => lastFullRead(db, connection, direction),
    markFullRead: async (connection, direction, at) => markFullRead(db, connection, direction, at),

    setRunMatch: async (runId, match, callsSaved) => setRunMatch(db, runId, match, callsSaved),

    // the scan index
    indexContacts: async (connection, rows, seenAt) => indexContacts(db, connection, rows, seenAt),
    findIndexed: async (identity) => findIndexed(db, identity),
    findIndexedBatch: async (identities) => findIndexedBatch(db, identities),
    startScan: async (id, at) => startScan(db, id, at),
    finishScan: async (id, counts, at) => finishScan(db, id, counts, at),
    lastScan: async () => lastScan(db),

    // removals
    noteRemovals: async (connection, runId, removals) => noteRemovals(db, connection, runId, removals),
    countScanMisses: async (connection, runId) => countScanMisses(db, connection, runId),
    noteAbsentRecords: async (connection, runId) => noteAbsentRecords(db, connection, runId),
    listRemovals: async (connection, state, after, limit) =>
      listRemovals(db, connection, state, after, checkLimit('Removal page size', limit, MAX_PAGE)),
    countRemovals: async (connection, state) => countRemovals(db, connection, state),
    getRemoval: async (connection, crmId, side) => getRemoval(db, connection, crmId, side),
    setRemoval: async (connection, crmId, side, change) => setRemoval(db, connection, crmId, side, change),
    dropRemovals: async (connection, keys) => dropRemovals(db, connection, keys),
    closeLink: async (connection, crmId, closure) => closeLink(db, connection, crmId, closure),
    closedContacts: async (connection, sahutIds) => closedContacts(db, connection, sahutIds),

    // identity claims
    claimIdentities: async (claim) => claimIdentities(db, claim),
    claimIdentitiesBatch: async (batch) => claimIdentitiesBatch(db, batch),
    renewIdentities: async (claim) => renewIdentities(db, claim),
    releaseIdentities: async (claim) => releaseIdentities(db, claim),

    // the books of a run
    addRunRecords: async (runId, window, crmIds, hashes) => addRunRecords(db, runId, window, crmIds, hashes),
    unaccounted: async (runId, window) => unaccounted(db, runId, window),
    settleRunRecords: async (runId, window, carry) => settleRunRecords(db, runId, window, carry),
    dropRunRecords: async (runId) => dropRunRecords(db, runId),
    addCarried: async (connection, direction, crmIds, runId) =>
      addCarried(db, connection, direction, crmIds, runId),
    listCarried: async (connection, direction, afterCrmId, limit) =>
      listCarried(db, connection, direction, afterCrmId, checkLimit('Carried page size', limit, MAX_PAGE)),
  };
}
