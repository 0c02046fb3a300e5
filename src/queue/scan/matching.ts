import type { Connection } from '../../config/index.ts';
import type { ListPage } from '../../sahut/types.ts';
import type { Matching } from '../jobs.ts';
import type { Runtime } from '../runtime.ts';
import { type AuditNote, ensureFreshIndex, SCAN_PER_PAGE } from './sahut-index.ts';

export interface Unlinked<T> {
  item: T;
  /** Searches a record needs: one per phone and email it has. */
  keys: number;
}

/**
 * Decides, for one CRM→Sahut run, how its unlinked records are matched
 * (`options.match`): `search` asks Sahut per record (2 calls); `scan` matches
 * them against the scan index, refreshed by one paged scan when older than
 * `scanMaxAge`; `auto` searches until the run's unlinked records clearly
 * outnumber what a scan costs (twice Sahut's page count), then scans. Records
 * wait here, undecided, until that is known or their window ends.
 */
export function createMatcher<T>(
  rt: Runtime,
  connection: Connection,
  state: Matching,
  audit: { note: AuditNote; flush: () => Promise<void> },
  handOut: (items: readonly T[], match: 'search' | 'index') => void,
) {
  const { match, scanMaxAge } = connection.options;
  let pending: Unlinked<T>[] = [];
  // The list call that learned Sahut's size is the scan's page 1 when the scan follows at once.
  let probe: ListPage | undefined;
  const give = (list: readonly Unlinked<T>[], mode: 'search' | 'index') => {
    if (mode === 'index') state.saved += list.reduce((n, u) => n + u.keys, 0);
    else state.searched += list.length;
    handOut(
      list.map((u) => u.item),
      mode,
    );
  };
  /** Scan when more unlinked records than this wait; Sahut's size comes from the last scan, or one list call. */
  async function threshold(waiting: number): Promise<number> {
    if (match === 'scan') return 0;
    // Even a one-page Sahut takes two searches to pay for its scan: no need to ask its size.
    if (waiting <= 2) return 2;
    if (state.sahutPages === null) {
      const last = await rt.store.lastScan();
      if (last) state.sahutPages = last.pages;
      else {
        probe = await rt.sahut.list({ page: 1, perPage: SCAN_PER_PAGE });
        state.sahutPages = probe.meta.total_pages;
        state.scanCalls += 1;
      }
    }
    return 2 * Math.max(1, state.sahutPages);
  }
  return {
    async add(unlinked: readonly Unlinked<T>[]) {
      if (match === 'search' || state.mode === 'search') return give(unlinked, 'search');
      if (state.mode === 'index') return give(unlinked, 'index');
      pending.push(...unlinked);
      const waiting = state.searched + pending.length;
      const below = pending.length === 0 || waiting <= (await threshold(waiting));
      const first = probe;
      probe = undefined;
      if (below) return;
      state.scanCalls += await ensureFreshIndex(rt, connection.name, {
        maxAgeMs: scanMaxAge,
        ...audit,
        first,
      });
      state.mode = 'index';
      give(pending, 'index');
      pending = [];
    },
    /** The window ends: what is still undecided is searched for. */
    end() {
      give(pending, 'search');
      pending = [];
    },
  };
}

/** For the run's summary: how it matched, and the calls the scan index saved net of the scan. */
export function matchingSummary(state: Matching): { match: string; saved: number } {
  const used = state.saved > 0 ? (state.searched > 0 ? 'scan+search' : 'scan') : 'search';
  return { match: used, saved: state.saved - state.scanCalls };
}
