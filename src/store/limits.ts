import { StoreArgumentError } from './errors.ts';

/** Rejects a page size that is not an integer within 1..max, naming what it limits. */
export function checkLimit(what: string, limit: number, max: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new StoreArgumentError(`${what} must be an integer from 1 to ${max}`);
  }
  return limit;
}

export const MAX_PAGE = 1000;
/** Links returned by `findLinks` when the caller gives no limit. */
export const DEFAULT_FIND_LIMIT = 100;
