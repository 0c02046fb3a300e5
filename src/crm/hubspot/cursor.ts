import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../cursor.ts';

/** Everything up to (ts, id) was read: records with an earlier lastmodifieddate, and those at ts with id ≤ id. */
export interface Position {
  ts: number;
  id: string;
}

/** Smaller than every HubSpot id: `hs_object_id GT "0"` matches them all. */
export const NO_ID = '0';

const position = z.object({ ts: z.number().int(), id: z.string().min(1) }).strict();
const cursorSchema = z.discriminatedUnion('mode', [
  z
    .object({
      kind: z.literal('hubspot'),
      mode: z.literal('search'),
      ...position.shape,
      /** Set while an overlap is re-read: where the reader had got to before it went back. */
      hw: position.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('hubspot'),
      mode: z.literal('list'),
      /** The list endpoint's `after` token of the next page. */
      after: z.string().min(1),
      /** When the full read began: the search cursor it hands over to. */
      startedAt: z.number().int(),
    })
    .strict(),
]);
export type HubspotCursor = z.infer<typeof cursorSchema>;

export const decodeHubspotCursor = (cursor: string) => decodeCursor(cursor, cursorSchema, 'hubspot source');

export const searchCursor = (pos: Position, hw: Position | null) =>
  encodeCursor({ kind: 'hubspot', mode: 'search', ...pos, ...(hw ? { hw } : {}) });

export const listCursor = (after: string, startedAt: number) =>
  encodeCursor({ kind: 'hubspot', mode: 'list', after, startedAt });

/** HubSpot ids are numbers written as strings. */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

export const comparePositions = (a: Position, b: Position) => a.ts - b.ts || compareIds(a.id, b.id);
