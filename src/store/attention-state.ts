import { createHash } from 'node:crypto';
import {
  ATTENTION_KINDS,
  type AttentionEntry,
  type AttentionKind,
  decidedDetailSchema,
  type NewAttention,
} from './attention-types.ts';
import type { AuditEntry } from './types.ts';

/** An audit row as appended: the entry plus the id and time the store gave it. */
export interface AuditedEntry extends AuditEntry {
  id: string;
  at: Date;
}

/**
 * One row of the `attention` table, as both backends read and write it: what
 * a person sees of it (`toEntry`) under its listing key, with the
 * acknowledgement kept as the fingerprint it was given for.
 */
export interface AttentionState extends Omit<AttentionEntry, 'id' | 'since' | 'acknowledged'> {
  key: string;
  /** What a person would acknowledge: kind, direction, reason and detail. */
  fingerprint: string;
  firstAt: Date;
  ackedFingerprint: string | null;
  ackedBy: string | null;
  ackedAt: Date | null;
}

const KINDS = new Set<string>(ATTENTION_KINDS);
/** Synced, or a removal settled (the record deleted, relinked, recreated or unlinked). */
const SYNCED = new Set(['created', 'updated', 'linked', 'deleted', 'relinked', 'recreated', 'unlinked']);
/** An `unchanged` of the same direction means a person has nothing left to do about these. */
const SETTLED_BY_UNCHANGED = new Set(['failed', 'rejected', 'ambiguous']);

/** `connection` + `key`, as one map key. */
export const stateKey = (connection: string, key: string) => `${connection}\u0000${key}`;

/**
 * The listing keys a row is about. A row that raises (or a decision) names one
 * entry; a row that syncs a record settles its CRM id and its contact's
 * `sahut:` entry (a contact that now has a record).
 */
export function keysOf(row: AuditEntry): string[] {
  if (row.action === 'decided') {
    const detail = decidedDetailSchema.safeParse(row.detail);
    return detail.success ? [detail.data.id] : [];
  }
  if (row.action === 'duplicate-suspected') return [pairKey(row) ?? fallbackKey(row)];
  if (row.action === 'deletion-guard') return [guardKey(row.direction)];
  if (KINDS.has(row.action)) return [fallbackKey(row)];
  if (row.action === 'retrying') return [];
  // A settling row about a pair (its contacts merged, or no longer sharing) names it in `detail.pair`.
  const pair = pairKey(row);
  return [row.crmId, row.sahutId === null ? null : `sahut:${row.sahutId}`, pair].filter((k) => k !== null);
}

/** The listing key of a connection's deletion guard in one direction. */
export const guardKey = (direction: string) => `guard:${direction}`;

function pairKey(row: AuditEntry): string | null {
  const pair = (row.detail as { pair?: unknown } | null | undefined)?.pair;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((id) => typeof id === 'string')) return null;
  const [a, b] = [...pair].sort();
  return `pair:${a}:${b}`;
}

function fallbackKey(row: AuditEntry): string {
  if (row.crmId !== null) return row.crmId;
  if (row.sahutId !== null) return `sahut:${row.sahutId}`;
  return `row:${digest(row.error ?? '')}`;
}

const digest = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 24);

/** True when a row might change the listing even where it holds nothing for its keys yet. */
export const raises = (row: AuditEntry) => KINDS.has(row.action);

export const visible = (s: AttentionState | undefined | null) =>
  s !== undefined && s !== null && s.ackedFingerprint !== s.fingerprint;

/**
 * Applies rows (in id order) to the states they touch: `states` holds the
 * current state of every key `keysOf` names (absent = not listed) and is
 * updated in place; returns the keys whose state changed (null = removed) and
 * what entered the listing. The rules, documented in docs/dashboard.md:
 * - ambiguous, rejected, failed, conflict, duplicate-suspected put the record
 *   in the listing (replacing what it held there, an acknowledgement kept);
 * - created, updated, linked take it out;
 * - unchanged takes out a failed, rejected or ambiguous record of the same
 *   direction, never a conflict: hash compares must not hide one nobody saw;
 *   a pair of contacts leaves when a synced or unchanged row names it in
 *   `detail.pair` (its contacts merged or no longer sharing), or is acknowledged;
 * - a decision: acknowledge hides it until it is reported with another kind,
 *   reason or values; take (a conflict's value) takes it out; link, create and
 *   retry mark it pending until the run they started reports on it.
 */
export function applyAudit(states: Map<string, AttentionState>, rows: readonly AuditedEntry[]) {
  const before = new Map<string, AttentionState | undefined>();
  const changed = new Map<string, AttentionState | null>();
  for (const row of rows) {
    for (const key of keysOf(row)) {
      const id = stateKey(row.connection, key);
      const current = states.get(id);
      if (!before.has(id)) before.set(id, current);
      const next = transition(current, row, key);
      if (next === current) continue;
      if (next) states.set(id, next);
      else states.delete(id);
      changed.set(id, next ?? null);
    }
  }
  const added: NewAttention[] = [];
  for (const [id, next] of changed) {
    const prior = before.get(id);
    if (!next || !visible(next) || (visible(prior) && prior?.kind === next.kind)) continue;
    const { connection, direction, runId, kind, crmId, sahutId, error } = next;
    added.push({ connection, direction, runId, kind, crmId, sahutId, reason: error });
  }
  return { changed, added };
}

function transition(state: AttentionState | undefined, row: AuditedEntry, key: string) {
  if (KINDS.has(row.action)) return raise(state, row, key);
  if (!state) return state;
  if (SYNCED.has(row.action)) return undefined;
  if (row.action === 'unchanged') {
    if (state.kind === 'duplicate-suspected') return undefined;
    return state.direction === row.direction && SETTLED_BY_UNCHANGED.has(state.kind) ? undefined : state;
  }
  if (row.action !== 'decided') return state;
  const decided = decidedDetailSchema.parse(row.detail);
  // take writes the value now; confirm queues the run that acts (a new trip raises it again).
  if (decided.action === 'take' || decided.action === 'confirm') return undefined;
  if (decided.action === 'acknowledge')
    return { ...state, ackedFingerprint: state.fingerprint, ackedBy: decided.by, ackedAt: row.at };
  const { action, by, candidate } = decided;
  return { ...state, pending: { action, by, at: row.at, ...(candidate ? { candidate } : {}) } };
}

function raise(state: AttentionState | undefined, row: AuditedEntry, key: string): AttentionState {
  const kind = row.action as AttentionKind;
  const again = state?.kind === kind;
  return {
    connection: row.connection,
    key,
    kind,
    direction: row.direction,
    crmId: row.crmId,
    sahutId: row.sahutId ?? (kind === 'duplicate-suspected' ? (key.split(':')[1] ?? null) : null),
    runId: row.runId,
    auditId: row.id,
    error: row.error,
    attempt: row.attempt,
    detail: row.detail ?? null,
    fingerprint: fingerprint(kind, row, key),
    firstAt: again && state ? state.firstAt : row.at,
    at: row.at,
    times: again && state ? state.times + 1 : 1,
    ackedFingerprint: state?.ackedFingerprint ?? null,
    ackedBy: state?.ackedBy ?? null,
    ackedAt: state?.ackedAt ?? null,
    pending: null,
  };
}

/** A pair is the same pair whichever key it was found by; anything else by what it says. */
function fingerprint(kind: AttentionKind, row: AuditEntry, key: string): string {
  const what = kind === 'duplicate-suspected' ? [key] : [row.direction, row.error, row.detail ?? null];
  return digest(JSON.stringify([kind, ...what]));
}
