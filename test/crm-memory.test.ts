import { describe, expect, it } from 'vitest';
import { createMemoryConnector } from '../src/crm/index.ts';
import { idsOf, readAll, registerConnectorTests } from './crm-connector-suite.ts';

registerConnectorTests(
  'memory',
  async (records) => ({
    connector: createMemoryConnector(records.map(({ id, ...data }) => ({ id, data }))),
    cleanup: async () => {},
  }),
  { incremental: true, update: true, create: true },
);

describe('memory connector', () => {
  it('keeps its own copies, so callers cannot change records behind its back', async () => {
    const data = { name: 'Ann', tags: ['a'] };
    const connector = createMemoryConnector([{ id: '1', data }]);
    data.tags.push('mutated');
    const record = await connector.get('1');
    expect(record?.data).toEqual({ name: 'Ann', tags: ['a'] });
    (record!.data.tags as string[]).push('again');
    expect(connector.records()).toEqual([{ id: '1', data: { name: 'Ann', tags: ['a'] } }]);
  });

  it('merges updated fields and moves the record after every earlier change', async () => {
    const connector = createMemoryConnector([
      { id: 'a', data: { name: 'A', email: 'a@x' } },
      { id: 'b', data: { name: 'B' } },
    ]);
    await connector.edit('a', { email: 'a2@x' });
    expect(idsOf((await readAll(connector, null, 10)).flatMap((p) => p.items))).toEqual(['b', 'a']);
    expect((await connector.get('a'))?.data).toEqual({ name: 'A', email: 'a2@x' });
  });

  it('creates ids that never collide with existing ones', async () => {
    const connector = createMemoryConnector([{ id: 'mem-1', data: {} }]);
    const id = await connector.create({ name: 'N' });
    expect(id).toBe('mem-2');
    expect(connector.records().map((r) => r.id)).toEqual(['mem-1', 'mem-2']);
  });
});
