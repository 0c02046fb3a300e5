import { type ScanPass, scanPass } from '../../queue/index.ts';
import type { AttentionDeps } from './deps.ts';

export interface FullPass extends ScanPass {
  rateLimit: number;
  share: number;
  /** When the last complete scan (which counted the contacts) finished. */
  countedAt: Date | null;
}

/** How long a full pass over Sahut takes at the contact count of the last scan and today's limit; null before any scan. */
export async function fullPass(deps: AttentionDeps): Promise<FullPass | null> {
  const last = await deps.store.lastScan();
  if (!last) return null;
  const { rateLimit, scanShare: share } = deps.config.sahut;
  return { ...scanPass(last.contacts, rateLimit, share), rateLimit, share, countedAt: last.finishedAt };
}
