import { userInfo } from 'node:os';
import type { Config } from '../config/index.ts';
import type { AttentionEntry } from '../store/types.ts';
import type { Actor } from './actions.ts';
import { ambiguityOf, conflictsOf, heldBackOf, pairOf } from './detail.ts';

/** The dashboard user an action is audited under: the basic-auth user, or what authenticated. */
export function dashboardActor(dashboard: Config['dashboard'], via: 'dashboard' | 'api'): Actor {
  const by =
    dashboard.auth === 'basic' ? dashboard.user : dashboard.auth === 'bearer' ? 'bearer-token' : 'anonymous';
  return { by, via };
}

/** The operating-system user running the CLI, unless `--by` names someone. */
export function cliActor(by?: string): Actor {
  if (by) return { by, via: 'cli' };
  try {
    return { by: userInfo().username, via: 'cli' };
  } catch {
    // No passwd entry (some containers): fall back on the environment.
    return { by: process.env.USER ?? 'unknown', via: 'cli' };
  }
}

const show = (value: unknown) => (value === null || value === undefined ? '∅' : JSON.stringify(value));

/** One line on what an entry is about, for the CLI's table. */
export function summaryOf(entry: AttentionEntry): string {
  switch (entry.kind) {
    case 'ambiguous': {
      const { candidates } = ambiguityOf(entry.detail);
      return `${candidates.length} candidates (${candidates.join(', ')}): ${entry.error ?? ''}`;
    }
    case 'rejected':
      return entry.error ?? '';
    case 'failed':
      return `${entry.error ?? ''} (attempt ${entry.attempt}; failed ${entry.times} time(s))`;
    case 'conflict': {
      const conflicts = conflictsOf(entry.detail).map(
        (c) => `${c.field}: CRM ${show(c.crm)}, Sahut ${show(c.sahut)} → kept ${c.resolution}`,
      );
      const held = heldBackOf(entry.detail).map(
        (h) => `${h.field} ${h.value} held back (${h.heldBy.crmId} has it)`,
      );
      return [...conflicts, ...held].join('; ') || (entry.error ?? '');
    }
    case 'duplicate-suspected': {
      const pair = pairOf(entry.detail);
      return pair
        ? `${pair.pair[0]} and ${pair.pair[1]} share ${pair.by || 'a phone or email'}`
        : (entry.error ?? '');
    }
    case 'deletion-guard':
      return entry.error ?? 'the deletion guard stopped a run';
    case 'gone-in-sahut':
      return `contact ${entry.sahutId ?? '?'} vanished in Sahut: recreate it, unlink the record, or acknowledge`;
  }
}
