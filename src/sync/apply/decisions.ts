import type { Contact } from '../../domain/index.ts';
import type { SahutApi, SahutContact } from '../../sahut/types.ts';
import type { Store } from '../../store/types.ts';
import type { MatchResult } from '../match.ts';
import { projectSahut } from '../project.ts';

/** Candidates kept in an ambiguous row's detail, for a person to compare; the rest are named only. */
const SHOWN = 10;

export interface DecisionPorts {
  sahut: Pick<SahutApi, 'get'>;
  store: Pick<Store, 'getDecision'>;
}

interface Target {
  connection: string;
  crmId: string;
  signal?: AbortSignal | undefined;
}

/**
 * The match of an unlinked record, as a person decided it in the attention
 * listing (the decision outlives the link: it answers again whenever the
 * record is matched afresh):
 * - `link`: the contact chosen, as long as it exists; no search is needed;
 * - `create`: the search, minus the contacts the person ruled out, so the
 *   ambiguity they answered never comes back; a contact that matches and was
 *   not among them is news for a person, and stays ambiguous.
 * Without a decision, the search decides.
 */
export async function decidedMatch(
  ports: DecisionPorts,
  target: Target,
  search: () => Promise<MatchResult>,
): Promise<MatchResult> {
  const decision = await ports.store.getDecision(target.connection, target.crmId);
  if (decision?.kind === 'link') {
    const chosen = await ports.sahut.get(decision.sahutId, { signal: target.signal });
    if (chosen) return { kind: 'one', contact: chosen, by: [] };
  }
  const match = await search();
  if (decision?.kind !== 'create') return match;
  const ruledOut = new Set(decision.ruledOut);
  if (match.kind === 'one' && ruledOut.has(match.contact.id)) return { kind: 'none' };
  if (match.kind === 'ambiguous' && match.candidateIds.every((id) => ruledOut.has(id)))
    return { kind: 'none' };
  return match;
}

/**
 * The audit detail of an ambiguous record: the candidate ids, and the record
 * beside each candidate, field by field (the candidates seen in the record's
 * own fields and normal form).
 */
export function ambiguousDetail(
  record: Contact,
  match: Extract<MatchResult, { kind: 'ambiguous' }>,
  defaultRegion: string,
) {
  return {
    candidates: match.candidateIds,
    crm: record,
    contacts: match.contacts.slice(0, SHOWN).map((c: SahutContact) => ({
      id: c.id,
      ...projectSahut(c, record, defaultRegion),
    })),
  };
}
