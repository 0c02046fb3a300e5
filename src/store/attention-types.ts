import { z } from 'zod';
import type { Direction } from '../domain/index.ts';

/** Why a record waits for a person: the outcome (or note) that put it in the attention listing. */
export const ATTENTION_KINDS = [
  'ambiguous',
  'rejected',
  'failed',
  'conflict',
  'duplicate-suspected',
  /** A linked contact vanished in Sahut and `options.onSahutDelete` is `flag`. */
  'gone-in-sahut',
  /** The deletion guard stopped a run of the connection: `guard:<direction>`, to confirm. */
  'deletion-guard',
] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

/** What a person may do about an entry of the listing (which kinds allow which: src/attention). */
export const ATTENTION_ACTIONS = [
  'link',
  'create',
  'retry',
  'acknowledge',
  'take',
  'recreate',
  'unlink',
  'confirm',
] as const;
export type AttentionAction = (typeof ATTENTION_ACTIONS)[number];

/** Where a person acted from; audited beside who. */
export const ACTION_SOURCES = ['dashboard', 'api', 'cli'] as const;

/**
 * The detail of a `decided` audit row: a person's action on one entry of the
 * attention listing. The store reads it to keep the listing (acknowledged,
 * settled, or waiting for the run the action started).
 */
export const decidedDetailSchema = z.object({
  action: z.enum(ATTENTION_ACTIONS),
  /** The entry's id in the listing (see `AttentionEntry.id`). */
  id: z.string().min(1),
  by: z.string().min(1),
  via: z.enum(ACTION_SOURCES),
  /** link: the Sahut contact chosen. */
  candidate: z.string().optional(),
  /** take: the field and the side whose value is kept. */
  field: z.string().optional(),
  side: z.enum(['crm', 'sahut']).optional(),
});
export type DecidedDetail = z.infer<typeof decidedDetailSchema>;

/**
 * One record of a connection whose latest outcome needs a person. `id` is the
 * record's CRM id; for what has none, `sahut:<contact id>` (a Sahut contact
 * without a CRM record), `pair:<contact>:<contact>` (two Sahut contacts that
 * share a phone or email) or `row:<hash>` (a source row that could not be read).
 */
export interface AttentionEntry {
  connection: string;
  id: string;
  kind: AttentionKind;
  direction: Direction;
  crmId: string | null;
  sahutId: string | null;
  /** The run, and the audit row, that last put it here. */
  runId: string;
  auditId: string;
  error: string | null;
  attempt: number;
  /** The audit row's detail: candidates, conflicts, the pair … */
  detail: unknown;
  /** When it entered the listing, and when it was last reported (`times` rows so far). */
  since: Date;
  at: Date;
  times: number;
  /** Set when a person acknowledged exactly this (same kind, reason and values): hidden until it changes. */
  acknowledged: { by: string; at: Date } | null;
  /** A person's action waiting for the run it started (link, create, retry). */
  pending: { action: AttentionAction; by: string; at: Date; candidate?: string } | null;
}

export interface AttentionQuery {
  connection?: string;
  kind?: AttentionKind;
  direction?: Direction;
  /** true: only what was acknowledged (and so hidden); default: what still needs a person. */
  acknowledged?: boolean;
  /** Page size, 1..1000. */
  limit: number;
  /** `nextCursor` of the previous page; entries come most recently reported first. */
  cursor?: string;
}

export interface AttentionPage {
  entries: AttentionEntry[];
  nextCursor: string | null;
}

export interface AttentionCount {
  connection: string;
  direction: Direction;
  kind: AttentionKind;
  records: number;
}

/** An entry that an append put into the listing (new, back after an acknowledgement, or of another kind). */
export interface NewAttention {
  connection: string;
  direction: Direction;
  runId: string;
  kind: AttentionKind;
  crmId: string | null;
  sahutId: string | null;
  reason: string | null;
}

/** A person's answer to an ambiguity, remembered so that the record never comes back ambiguous for it. */
export type Decision = {
  connection: string;
  crmId: string;
  by: string;
  at: Date;
} & (
  | { kind: 'link'; sahutId: string }
  /** None of these contacts is the record's: a new contact is created instead. */
  | { kind: 'create'; ruledOut: string[] }
);
