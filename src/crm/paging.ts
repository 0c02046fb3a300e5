import type { CrmItem, CrmPage } from './types.ts';

export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 10_000;

export function checkPageSize(size: number | undefined, fallback: number): number {
  const value = size ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw new RangeError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${value}`);
  }
  return value;
}

/** An item with the source position just after it (what its cursor encodes). */
export interface PositionedItem<P> {
  item: CrmItem;
  position: P;
}

/**
 * Groups a stream of items into pages of at most `pageSize`. The source is
 * pulled lazily, so at most one page is held in memory. No items → no pages.
 */
export async function* paginate<P>(
  source: AsyncIterable<PositionedItem<P>>,
  encode: (position: P) => string,
  pageSize: number,
  signal?: AbortSignal,
): AsyncGenerator<CrmPage> {
  let items: CrmItem[] = [];
  let last: P | undefined;
  for await (const next of source) {
    signal?.throwIfAborted();
    items.push(next.item);
    last = next.position;
    if (items.length >= pageSize) {
      yield { items, cursor: encode(next.position) };
      items = [];
    }
  }
  if (items.length > 0 && last !== undefined) yield { items, cursor: encode(last) };
}
