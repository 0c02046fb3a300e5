import { describe, expect, it } from 'vitest';
import { duplicates } from './helpers/soak/checks.ts';
import {
  type ConflictRow,
  type Edit,
  type Field,
  SOAK_OWNERS,
  type Values,
  type WindowOverwrite,
} from './helpers/soak/edits.ts';
import { classifyFates, type FateInput } from './helpers/soak/fate.ts';

/** The soak suite's verdict on hand-made edit logs: the mapping of issue 20, `onConflict: crm`. */
const owners = SOAK_OWNERS;

const start: Values = {
  name: 'Ana',
  phone: '+6287730000412',
  email: 'ana@crm.example.com',
  company: 'PT Awal',
  tags: ['lead'],
  'custom_attributes.customer_tier': 'gold',
};

let seq = 0;
const edit = (at: number, side: Edit['side'], field: Field, value: string, op: Edit['op'] = 'set'): Edit => ({
  seq: ++seq,
  at,
  side,
  record: 'pg:1',
  field,
  op,
  value,
});

function judge(opts: {
  edits: Edit[];
  end: Values;
  sahutEnd?: Values;
  conflicts?: ConflictRow[];
  window?: WindowOverwrite[];
}) {
  const input: FateInput = {
    owners,
    onConflict: 'crm',
    initial: new Map([['pg:1', start]]),
    edits: opts.edits,
    conflicts: opts.conflicts ?? [],
    window: opts.window ?? [],
    final: new Map([
      ['pg:1', { crm: { ...start, ...opts.end }, sahut: { ...start, ...(opts.sahutEnd ?? opts.end) } }],
    ]),
  };
  return classifyFates(input);
}

describe('the soak fate classifier', () => {
  it("catches issue 20's lost update: a CRM phone edit overwritten by an older agent edit, no conflict row", () => {
    const agent = edit(23_242, 'sahut', 'phone', '+6287890000779');
    const person = edit(23_683, 'crm', 'phone', '+6285790000781');
    const v = judge({ edits: [agent, person], end: { phone: '+6287890000779' } });
    expect(v.lost).toHaveLength(1);
    expect(v.lost[0]?.what).toContain(`edit #${person.seq}`);
    expect(v.fates.get(person.seq)).toBe('lost');
    expect(v.fates.get(agent.seq)).toBe('superseded');
    expect([v.divergent, v.phantom]).toEqual([[], []]);
  });

  it('the later edit survives; an agent edit that lost a written-down conflict to the CRM is not lost', () => {
    const person = edit(1000, 'crm', 'company', 'PT Baru');
    const agent = edit(1400, 'sahut', 'company', 'PT Agen');
    const conflict = {
      record: 'pg:1',
      field: 'company',
      at: 2500,
      crm: 'PT Baru',
      sahut: 'PT Agen',
      resolution: 'crm',
    } as const;
    expect(judge({ edits: [person, agent], end: { company: 'PT Agen' } }).lost).toEqual([]);
    const kept = judge({ edits: [person, agent], end: { company: 'PT Baru' }, conflicts: [conflict] });
    expect(kept.lost).toEqual([]);
    expect(kept.fates.get(agent.seq)).toBe('conflict');
    // The same end without the conflict row is a lost update; a conflict "kept Sahut" breaks `onConflict: crm`.
    expect(judge({ edits: [person, agent], end: { company: 'PT Baru' } }).lost).toHaveLength(1);
    const wrongWay = { ...conflict, resolution: 'sahut' } as const;
    expect(
      judge({ edits: [person, agent], end: { company: 'PT Baru' }, conflicts: [wrongWay] }).lost,
    ).toHaveLength(1);
  });

  it('owners: an agent rename of the CRM-owned name and a CRM edit of the Sahut-owned tier are put back', () => {
    const rename = edit(1000, 'sahut', 'name', 'Ana Agen');
    const tier = edit(1100, 'crm', 'custom_attributes.customer_tier', 'silver');
    const putBack = judge({ edits: [rename, tier], end: {} });
    expect(putBack.lost).toEqual([]);
    expect([putBack.fates.get(rename.seq), putBack.fates.get(tier.seq)]).toEqual(['owner', 'owner']);
    // The rename reaching the CRM loses the owner's value, even though nobody edited it there.
    const leaked = judge({ edits: [rename], end: { name: 'Ana Agen' } });
    expect(leaked.lost.map((f) => f.field)).toEqual(['name']);
  });

  it('a CRM edit of the Sahut-owned tier before the contact was created may be what it got', () => {
    const early = edit(1000, 'crm', 'custom_attributes.customer_tier', 'silver');
    const input = (createdAt: number) => ({
      owners,
      onConflict: 'crm' as const,
      initial: new Map([['pg:1', start]]),
      createdAt: new Map([['pg:1', createdAt]]),
      edits: [early],
      conflicts: [],
      window: [],
      final: new Map([
        [
          'pg:1',
          {
            crm: { ...start, 'custom_attributes.customer_tier': 'silver' },
            sahut: { ...start, 'custom_attributes.customer_tier': 'silver' },
          },
        ],
      ]),
    });
    expect(classifyFates(input(1500)).lost).toEqual([]);
    expect(classifyFates(input(500)).lost).toHaveLength(1);
  });

  it("tags: each tag's last addition or removal decides, and a tag nobody added is a phantom", () => {
    const add = edit(1000, 'crm', 'tags', 'vip', 'add');
    const remove = edit(1200, 'sahut', 'tags', 'lead', 'remove');
    expect(judge({ edits: [add, remove], end: { tags: ['vip'] } }).lost).toEqual([]);
    const dropped = judge({ edits: [add, remove], end: { tags: [] } });
    expect(dropped.lost.map((f) => f.what)).toEqual([expect.stringContaining(`edit #${add.seq}`)]);
    expect(judge({ edits: [add, remove], end: { tags: ['vip', 'ghost'] } }).phantom).toHaveLength(1);
  });

  it("an agent edit overwritten by the sync's PUT inside Sahut's GET → PUT window is counted apart", () => {
    const agent = edit(1000, 'sahut', 'email', 'ana.agen@example.com');
    const window = [{ editSeq: agent.seq, body: { email: 'ana@crm.example.com', name: 'Ana' } }];
    const v = judge({ edits: [agent], end: {}, window });
    expect([v.lost, v.window.length, v.fates.get(agent.seq)]).toEqual([[], 1, 'window']);
    // A PUT that did not carry the field overwrote nothing: the edit is simply lost.
    const other = [{ editSeq: agent.seq, body: { name: 'Ana' } }];
    expect(judge({ edits: [agent], end: {}, window: other }).lost).toHaveLength(1);
  });

  it("a HubSpot person's edit overwritten by the sync's batch update inside HubSpot's batch read → batch update window is counted apart", () => {
    const person = edit(1000, 'crm', 'company', 'Co 7');
    const window = [{ editSeq: person.seq, body: { company: 'Agent Co 3' } }];
    const v = judge({ edits: [person], end: { company: 'Agent Co 3' }, window });
    expect([v.lost, v.window.length, v.fates.get(person.seq)]).toEqual([[], 1, 'window']);
    // An update that carried the person's own value overwrote nothing.
    const same = [{ editSeq: person.seq, body: { company: 'Co 7' } }];
    expect(judge({ edits: [person], end: { company: 'Agent Co 3' }, window: same }).lost).toHaveLength(1);
  });

  it('divergent sides and values nobody wrote are found on either side', () => {
    const v = judge({ edits: [], end: {}, sahutEnd: { phone: '+6281111111111' } });
    expect(v.divergent.map((f) => f.field)).toEqual(['phone']);
    expect(v.phantom.map((f) => f.what)).toEqual([expect.stringContaining('Sahut holds "+6281111111111"')]);
  });
});

describe('the soak duplicate check', () => {
  const links = new Map([
    ['pg:1', 'c1'],
    ['pg:2', 'c2'],
  ]);
  const rows = [
    { id: 'pg:1', phone: '+6281', email: 'a@x.id' },
    { id: 'pg:2', phone: '+6282', email: 'b@x.id' },
  ];
  const contacts = [
    { id: 'c1', phone: '+6281', email: 'a@x.id' },
    { id: 'c2', phone: '+6282', email: 'b@x.id' },
  ];

  it('one contact per row, linked: none; a second contact of a person or a shared email: counted', () => {
    expect(duplicates({ rows, contacts, links }).count).toBe(0);
    const twice = duplicates({
      rows,
      contacts: [...contacts, { id: 'c3', phone: '+6281', email: null }],
      links,
    });
    expect(twice.examples).toEqual([
      'contacts c1, c3 share the phone +6281',
      'contact c3 (+6281, null) has no CRM row',
    ]);
    const shared = [rows[0], { ...rows[1], email: 'a@x.id' }] as typeof rows;
    expect(duplicates({ rows: shared, contacts, links }).count).toBe(1);
  });
});
