import type { CrmConnector, CrmPage, ReadOptions } from '../../crm/types.ts';

export interface Window {
  pages: AsyncIterable<CrmPage>;
  /** Cursor after the last page read; null when the window was empty. */
  end(): string | null;
  /** True when the source may hold more records after this window. */
  more(): boolean;
}

/**
 * Reads at most `size` records from `cursor` on, page by page, so a run can
 * settle one window before it advances the durable cursor past it.
 */
export function readWindow(
  connector: CrmConnector,
  cursor: string | null,
  size: number,
  opts: Pick<ReadOptions, 'pageSize' | 'overlapMs'>,
): Window {
  let end: string | null = null;
  let more = false;
  async function* pages() {
    let read = 0;
    for await (const page of connector.read(cursor, opts)) {
      yield page;
      end = page.cursor;
      read += page.items.length;
      // Breaking out closes the connector's iterator (and its database client).
      if (read >= size) {
        more = true;
        break;
      }
    }
  }
  return { pages: pages(), end: () => end, more: () => more };
}
