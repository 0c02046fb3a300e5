import { sameRecordData } from '../compare.ts';
import { CrmError, StaleRecordError } from '../errors.ts';
import type { CrmRecord } from '../types.ts';
import { createBatcher } from './batcher.ts';
import type { HubspotHttp } from './http.ts';
import { CONTACTS } from './paths.ts';
import { recordOf } from './read.ts';
import { type BatchResponse, batchResponseSchema, type PublicObject } from './schemas.ts';

export const BATCH_MAX = 100;
const LABEL = 'hubspot contacts';

interface UpdateInput {
  id: string;
  fields: Record<string, unknown>;
  expected: CrmRecord;
}

/** HubSpot takes every value as a string; `""` clears one; a list is a multi-select (`;`). */
export function toPropertyValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(toPropertyValue).join(';');
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

const toProperties = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, toPropertyValue(v)]));

/** Errors of a 207 answer by the id or trace id they name. */
function errorsByKey(res: BatchResponse, contextKey: 'ids' | 'objectWriteTraceId') {
  const out = new Map<string, { category?: string | undefined; message?: string | undefined }>();
  for (const e of res.errors ?? []) for (const k of e.context?.[contextKey] ?? []) out.set(k, e);
  return out;
}

function refusal(what: string, e: { category?: string | undefined; message?: string | undefined }): CrmError {
  if (e.category === 'OBJECT_NOT_FOUND')
    return new CrmError('RECORD_NOT_FOUND', `${what}: no such contact in HubSpot`);
  return new CrmError(
    'WRITE_REFUSED',
    `${what} refused by HubSpot (${e.category ?? 'error'}): ${e.message ?? ''}`,
  );
}

/**
 * Write-back and creation in HubSpot's batches. Compare-and-set: the batch reads the records'
 * current values, refuses (StaleRecordError) those that no longer hold what the merge read,
 * and writes the rest in one batch update, sent as soon as the read answers (its turn at the
 * limiter taken before the read; a failed update is compared again from a new read, never
 * repeated as it was). HubSpot has no conditional write, so the time between that read and the
 * write (one round trip) remains, as with Sahut's GET then PUT.
 */
export function createWriter(
  http: HubspotHttp,
  columns: readonly string[],
  insertColumns: readonly string[],
) {
  let creates = 0;
  const readBatch = (ids: string[]) =>
    http.call({
      method: 'POST',
      path: `${CONTACTS}/batch/read?archived=false`,
      body: { inputs: ids.map((id) => ({ id })), properties: [...columns] },
      schema: batchResponseSchema,
    });

  const updatable = new Set(columns);
  const insertable = new Set([...columns, ...insertColumns]);
  const checkFields = (fields: Record<string, unknown>, writable: ReadonlySet<string>) => {
    const bad = Object.keys(fields).find((k) => !writable.has(k));
    if (bad !== undefined)
      throw new CrmError(
        'COLUMN_NOT_WRITABLE',
        `Property "${bad}" of ${LABEL} is not mapped: write-back may only touch mapped properties`,
      );
  };

  const update = createBatcher<UpdateInput, CrmRecord>(
    BATCH_MAX,
    async (inputs) => {
      let results: (CrmRecord | Error)[] = [];
      const { written: res } = await http.compareAndSet(
        () => readBatch(inputs.map((i) => i.id)),
        (read) => {
          // A merged-away id answers with the merged record under its new id: not this record any more.
          const current = new Map(read.results.map((o) => [o.id, recordOf(columns, o)]));
          results = inputs.map((i) => {
            const now = current.get(i.id);
            if (!now)
              return new CrmError('RECORD_NOT_FOUND', `Update of ${LABEL}: no contact with id ${i.id}`);
            if (!sameRecordData(i.expected.data, now.data)) return new StaleRecordError(LABEL, now);
            return now;
          });
          const writes = inputs.filter(
            (i, n) => !(results[n] instanceof Error) && Object.keys(i.fields).length > 0,
          );
          if (writes.length === 0) return null;
          return {
            method: 'POST',
            path: `${CONTACTS}/batch/update`,
            body: { inputs: writes.map((i) => ({ id: i.id, properties: toProperties(i.fields) })) },
            schema: batchResponseSchema,
          };
        },
      );
      if (!res) return results;
      const written = new Map(res.results.map((o) => [o.id, o]));
      const failed = errorsByKey(res, 'ids');
      return inputs.map((input, n) => {
        const before = results[n];
        if (before instanceof Error || Object.keys(input.fields).length === 0)
          return before as CrmRecord | Error;
        const error = failed.get(input.id);
        const after = written.get(input.id);
        if (error || !after) return refusal(`Update of contact ${input.id}`, error ?? {});
        return merged(before as CrmRecord, input.fields, after);
      });
    },
    (i) => i.id,
  );

  const create = createBatcher<Record<string, unknown>, string>(
    BATCH_MAX,
    async (inputs) => {
      // A trace id on every input makes HubSpot answer each one (207) instead of failing the batch.
      const traced = inputs.map((fields, n) => ({
        properties: toProperties(fields),
        objectWriteTraceId: `in-${n}`,
      }));
      const res = await http.call({
        method: 'POST',
        path: `${CONTACTS}/batch/create`,
        body: { inputs: traced },
        schema: batchResponseSchema,
        unsafe: true,
      });
      const made = new Map(res.results.map((o) => [o.objectWriteTraceId ?? '', o.id]));
      const failed = errorsByKey(res, 'objectWriteTraceId');
      return traced.map(
        ({ objectWriteTraceId }) =>
          made.get(objectWriteTraceId) ?? refusal('Create', failed.get(objectWriteTraceId) ?? {}),
      );
    },
    () => String(++creates),
  );

  return {
    update(id: string, fields: Record<string, unknown>, expected: CrmRecord) {
      checkFields(fields, updatable);
      return update({ id, fields, expected });
    },
    create(fields: Record<string, unknown>) {
      checkFields(fields, insertable);
      return create(fields);
    },
  };
}

/** The record right after the write: what was read, with the written properties as HubSpot stored them. */
function merged(before: CrmRecord, fields: Record<string, unknown>, after: PublicObject): CrmRecord {
  const data = { ...before.data };
  for (const k of Object.keys(fields)) data[k] = after.properties[k] ?? null;
  return { id: before.id, data };
}
