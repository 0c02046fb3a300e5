import { RATE_HEADROOM } from '../runtime.ts';
import { SCAN_PER_PAGE } from './sahut-index.ts';

export interface ScanPass {
  contacts: number;
  /** List calls of one full pass: ⌈contacts ÷ 100⌉. */
  pages: number;
  /** Seconds at the whole rate the engine paces at (97 % of SAHUT_RATE_LIMIT): the scan alone. */
  aloneSeconds: number;
  /** Seconds at SCAN_RATE_SHARE of that rate: while record writes wait for it the whole time. */
  sharedSeconds: number;
}

/**
 * How long a full pass over Sahut takes (the sahut-to-crm direction, or a
 * refresh of the scan index): one list call per page of 100 contacts, at the
 * rate the engine paces at, or at the scans' share of it while writes wait.
 * A floor: Sahut's answer time only adds to it when pages are read one by one.
 */
export function scanPass(contacts: number, rateLimit: number, share: number): ScanPass {
  const pages = Math.max(1, Math.ceil(contacts / SCAN_PER_PAGE));
  const rate = rateLimit * RATE_HEADROOM;
  return { contacts, pages, aloneSeconds: pages / rate, sharedSeconds: pages / (rate * share) };
}
