import { z } from 'zod';
import { sameRecordData } from '../compare.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { CrmError, StaleRecordError } from '../errors.ts';
import { checkedProbe, digitsOf } from '../find-probe.ts';
import { checkPageSize, DEFAULT_PAGE_SIZE, paginate } from '../paging.ts';
import type { CrmConnector, CrmRecord, IdentityProbe, ReadOptions } from '../types.ts';

/** A connector whose write methods always exist, handy in tests. */
export interface MemoryConnector extends CrmConnector {
  update(id: string, fields: Record<string, unknown>, expected: CrmRecord): Promise<CrmRecord>;
  create(fields: Record<string, unknown>): Promise<string>;
  /** A person's edit in the CRM: written whatever the record holds, stamped like any change. */
  edit(id: string, fields: Record<string, unknown>): Promise<void>;
  findByIdentity(probe: IdentityProbe): Promise<CrmRecord[]>;
  /** Every record, in id-insertion order (a copy). */
  records(): CrmRecord[];
}

const cursorSchema = z.object({ kind: z.literal('memory'), seq: z.int().nonnegative() }).strict();

/**
 * A complete CRM connector over an in-memory array: the template for adding
 * your own CRM in one file. Every write stamps the record with the next
 * sequence number, and `read(cursor)` returns records whose stamp is after
 * the cursor, so it is incremental just like an `updated_at` column.
 */
export function createMemoryConnector(initial: Iterable<CrmRecord> = []): MemoryConnector {
  const byId = new Map<string, { data: Record<string, unknown>; seq: number }>();
  /** Change log ordered by seq; an entry is stale once its id was written again. */
  const log: { id: string; seq: number }[] = [];
  let seq = 0;
  let nextId = 1;

  const write = (id: string, data: Record<string, unknown>) => {
    seq += 1;
    byId.set(id, { data: structuredClone(data), seq });
    log.push({ id, seq });
  };
  for (const record of initial) write(record.id, record.data);

  async function* changesAfter(after: number) {
    for (const entry of log) {
      const current = byId.get(entry.id);
      if (entry.seq <= after || current?.seq !== entry.seq) continue;
      const record = { id: entry.id, data: structuredClone(current.data) };
      yield { item: { ok: true as const, record }, position: entry.seq };
    }
  }

  return {
    capabilities: { incremental: true, update: true, create: true },

    async *read(cursor: string | null, opts: ReadOptions = {}) {
      const after = cursor === null ? 0 : decodeCursor(cursor, cursorSchema, 'memory connector').seq;
      const encode = (position: number) => encodeCursor({ kind: 'memory', seq: position });
      yield* paginate(
        changesAfter(after),
        encode,
        checkPageSize(opts.pageSize, DEFAULT_PAGE_SIZE),
        opts.signal,
      );
    },

    async get(id) {
      const found = byId.get(id);
      return found ? { id, data: structuredClone(found.data) } : null;
    },

    async update(id, fields, expected) {
      const found = byId.get(id);
      if (!found) throw new CrmError('RECORD_NOT_FOUND', `memory connector: no record with id ${id}`);
      // Nothing is awaited between the compare and the write: they are one step.
      if (!sameRecordData(expected.data, found.data))
        throw new StaleRecordError('memory connector', { id, data: structuredClone(found.data) });
      write(id, { ...found.data, ...fields });
      return { id, data: structuredClone(byId.get(id)?.data ?? {}) };
    },

    async edit(id, fields) {
      const found = byId.get(id);
      if (!found) throw new CrmError('RECORD_NOT_FOUND', `memory connector: no record with id ${id}`);
      write(id, { ...found.data, ...fields });
    },

    async create(fields) {
      while (byId.has(`mem-${nextId}`)) nextId += 1;
      const id = `mem-${nextId}`;
      write(id, fields);
      return id;
    },

    async findByIdentity(probe) {
      const { phone, email, limit } = checkedProbe(probe, null, 'memory connector');
      const found: CrmRecord[] = [];
      for (const [id, { data }] of byId) {
        if (found.length >= limit) break;
        const byPhone = phone && digitsOf(phone.columns.map((c) => data[c])).includes(phone.digits);
        const byEmail =
          email &&
          String(data[email.column] ?? '')
            .toLowerCase()
            .includes(email.address);
        if (byPhone || byEmail) found.push({ id, data: structuredClone(data) });
      }
      return found;
    },

    records() {
      return [...byId].map(([id, { data }]) => ({ id, data: structuredClone(data) }));
    },

    async close() {},
  };
}
