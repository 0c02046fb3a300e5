import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connection, syncOptionsSchema } from '../src/config/index.ts';
import { type CrmConnector, createMemoryConnector, type MemoryConnector } from '../src/crm/index.ts';
import { parseMapping } from '../src/mapping/index.ts';
import type { StoredContact } from '../src/sandbox/index.ts';
import { prepareRecord } from '../src/sync/apply/prepare.ts';
import {
  ConvergenceModel,
  type Direction,
  FIELDS,
  MODEL_MAPPING_YAML,
  sameValue,
} from './helpers/convergence-model.ts';
import {
  crmColumns,
  fieldsOf,
  freshValue,
  initial,
  RECORDS,
  type Scenario,
  sahutPatch,
  scenario,
} from './helpers/convergence-scenario.ts';
import { type EngineDeployment, engineDeployment, runOnce, startNode } from './helpers/engine.ts';

/**
 * Both directions converge: random edits on both sides (CRM-owned fields edited
 * in Sahut, Sahut-owned ones in the CRM, tags, fields owned by both changed on
 * one or both sides, an agent giving a contact the phone or email of another
 * CRM record), interleaved with runs of either direction in random order. After
 * every run both sides hold what the model in helpers/convergence-model.ts
 * says; after a last pass of each direction, two idle passes of both make no
 * write and fetch no contact. FC_RUNS raises the number of scenarios,
 * FC_SEED (and FC_PATH) replays the one fast-check printed.
 */
const NUM_RUNS = Number(process.env.FC_RUNS ?? 20);
// Shrinking replays whole scenarios against real Redis and the sandbox: bounded in time.
const TIME_LIMIT_MS = Math.max(8 * 60_000, NUM_RUNS * 10_000);

describe('both directions converge to the merge rules (property test, in-process nodes)', () => {
  let deployment: EngineDeployment;
  let scenarios = 0;

  beforeAll(async () => {
    deployment = await engineDeployment('sqlite');
  });
  afterAll(() => deployment.dispose());

  /** One scenario: a fresh connection (own links and cursors) and a fresh node on the shared sandbox and store. */
  async function play({ onConflict, steps, lastFirst }: Scenario) {
    const { sandbox, store } = deployment;
    sandbox.clear();
    const id = ++scenarios;
    const connection: Connection = {
      name: `p${id}`,
      source: { type: 'file', path: '/dev/null', format: 'csv', idField: 'id' } as Connection['source'],
      mapping: parseMapping(MODEL_MAPPING_YAML, 'yaml'),
      directions: ['crm-to-sahut', 'sahut-to-crm'],
      schedule: undefined,
      options: syncOptionsSchema.parse({ onConflict }),
    };
    const start = Array.from({ length: RECORDS }, (_, i) => initial(id, i));
    const memory = createMemoryConnector(
      start.map((f, i) => ({ id: `crm-${i}`, data: { ...f, tags: f.tags.join(';') } })),
    );
    let crmWrites = 0;
    const crm: CrmConnector = {
      ...memory,
      async update(id, fields, expected) {
        crmWrites++;
        return memory.update(id, fields, expected);
      },
    };
    const node = startNode(deployment.config, store, [connection], () => crm, 4);
    try {
      const run = async (d: Direction) => {
        const done = await runOnce(node, connection.name, d);
        expect(done.status, `${d} run ${done.id}: ${done.note}`).toBe('succeeded');
      };
      await run('crm-to-sahut');
      const links = await store.getLinks(
        connection.name,
        start.map((_, i) => `crm-${i}`),
      );
      const sahutIds = start.map((_, i) => links.get(`crm-${i}`)?.sahutId as string);
      const model = new ConvergenceModel(start, onConflict);
      const check = (when: string) =>
        expectSides(model, memory, connection, sandbox.contacts(), sahutIds, when);
      check('after the first run');

      for (const [at, s] of steps.entries()) {
        if (s.kind === 'run') {
          await run(s.direction);
          model.run(s.direction);
          check(`after step ${at} (${s.direction})`);
          continue;
        }
        const edit =
          s.kind === 'edit'
            ? s
            : s.kind === 'fresh'
              ? { ...s, value: freshValue(id, s.field, s.rec, at) }
              : { ...s, side: 'sahut' as const, value: initial(id, s.holder)[s.field] };
        model.edit(edit.side, edit.rec, edit.field, edit.value);
        if (edit.side === 'crm') await memory.edit(`crm-${edit.rec}`, crmColumns(edit.field, edit.value));
        else await node.rt.sahut.update(sahutIds[edit.rec] as string, sahutPatch(edit.field, edit.value));
      }

      // One last pass of each direction settles what the steps left pending.
      const order: Direction[] =
        lastFirst === 'crm-to-sahut' ? ['crm-to-sahut', 'sahut-to-crm'] : ['sahut-to-crm', 'crm-to-sahut'];
      for (const d of order) {
        await run(d);
        model.run(d);
      }
      check('after the last pass of each direction');
      expect(sandbox.contacts()).toHaveLength(RECORDS);
      await expectHeldBackAudited(model, connection.name);

      // Converged: two idle passes of both directions write nothing and fetch no contact.
      sandbox.resetCounts();
      crmWrites = 0;
      for (let pass = 0; pass < 2; pass++) for (const d of order) await run(d);
      const counts = sandbox.counts();
      expect({
        puts: counts['PUT /contacts/:id'] ?? 0,
        posts: counts['POST /contacts'] ?? 0,
        getsById: counts['GET /contacts/:id'] ?? 0,
        crmWrites,
      }).toEqual({ puts: 0, posts: 0, getsById: 0, crmWrites: 0 });
      check('after the idle passes');
    } finally {
      await node.close();
    }
  }

  async function expectHeldBackAudited(model: ConvergenceModel, connection: string) {
    for (const [i, record] of model.records.entries()) {
      if (record.heldBack === 0) continue;
      const rows = (
        await deployment.store.queryAudit({ connection, crmId: `crm-${i}`, action: 'conflict', limit: 50 })
      ).rows;
      expect(
        rows.some((r) => /not written to CRM record/.test(r.error ?? '')),
        `crm-${i}: an identity held back is audited as a conflict`,
      ).toBe(true);
    }
  }

  it(
    'random edits on both sides and runs in random order end where the rules say, then idle passes do nothing',
    async () => {
      const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
      await fc.assert(
        fc.asyncProperty(scenario, (s) => play(s)),
        {
          numRuns: NUM_RUNS,
          ...(seed === undefined ? {} : { seed, path: process.env.FC_PATH }),
          interruptAfterTimeLimit: TIME_LIMIT_MS,
          markInterruptAsFailure: true,
        },
      );
    },
    TIME_LIMIT_MS + 2 * 60_000,
  );
});

/** Both sides, read back as the mapping sees them, against the model. */
function expectSides(
  model: ConvergenceModel,
  crm: MemoryConnector,
  connection: Connection,
  contacts: StoredContact[],
  sahutIds: readonly string[],
  when: string,
) {
  const problems: string[] = [];
  for (const [i, expected] of model.records.entries()) {
    const record = crm.records().find((r) => r.id === `crm-${i}`);
    const prepared = record && prepareRecord(record, connection, 'ID');
    const contact = contacts.find((c) => c.id === sahutIds[i]);
    const actual = {
      crm: prepared?.kind === 'ready' ? fieldsOf(prepared.contact) : null,
      sahut: contact ? fieldsOf({ ...contact, custom_attributes: contact.custom_attributes }) : null,
    };
    for (const side of ['crm', 'sahut'] as const) {
      const got = actual[side];
      if (!got) {
        problems.push(`crm-${i}: no ${side} record`);
        continue;
      }
      for (const field of FIELDS) {
        if (!sameValue(field, got[field], expected[side][field]))
          problems.push(
            `crm-${i} ${side}.${field}: ${JSON.stringify(got[field])}, model ${JSON.stringify(expected[side][field])} (base ${JSON.stringify(expected.base[field])})`,
          );
      }
    }
  }
  expect(problems, when).toEqual([]);
}
