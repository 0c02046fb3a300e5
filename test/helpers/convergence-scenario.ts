import fc from 'fast-check';
import type { ContactPatch } from '../../src/sahut/types.ts';
import type { Direction, Field, Fields, Side } from './convergence-model.ts';

/**
 * The random scenarios of test/convergence.test.ts: four synced records, then
 * edits on either side and runs of either direction, in any order. Records 0
 * and 1 never change phone or email (an agent gives their identity to 2 or 3);
 * 2 and 3 may get fresh ones on either side. Values come from small pools, so
 * both sides often pick the same one.
 */
export const RECORDS = 4;
// Records 0 and 1 keep their phone and email: they are whose identity others are given.
const ANCHORS = [0, 1] as const;
const OTHERS = [2, 3] as const;

export type Edit =
  | {
      kind: 'edit';
      side: Side;
      rec: number;
      field: Exclude<Field, 'phone' | 'email'>;
      value: string | string[];
    }
  | { kind: 'fresh'; side: Side; rec: number; field: 'phone' | 'email' }
  | { kind: 'collide'; rec: number; field: 'phone' | 'email'; holder: number };
export type Step = Edit | { kind: 'run'; direction: Direction };

const direction = fc.constantFrom<Direction>('crm-to-sahut', 'sahut-to-crm');
const side = fc.constantFrom<Side>('crm', 'sahut');
const values = {
  name: fc.constantFrom('Ani', 'Budi', 'Citra'),
  company: fc.constantFrom('Acme', 'Bumi', 'Cakra'),
  tier: fc.constantFrom('gold', 'silver', 'bronze'),
  tags: fc.shuffledSubarray(['a', 'b', 'c', 'd']),
};
const plainEdit = fc
  .record({ side, rec: fc.nat(RECORDS - 1), field: fc.constantFrom('name', 'company', 'tier', 'tags') })
  .chain(({ field, ...rest }) =>
    (values[field] as fc.Arbitrary<string | string[]>).map((value) => ({
      kind: 'edit',
      field,
      value,
      ...rest,
    })),
  ) as fc.Arbitrary<Edit>;
const identity = fc.constantFrom<'phone' | 'email'>('phone', 'email');
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: plainEdit },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fresh'),
      side,
      rec: fc.constantFrom(...OTHERS),
      field: identity,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('collide'),
      rec: fc.constantFrom(...OTHERS),
      field: identity,
      holder: fc.constantFrom(...ANCHORS),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('run'), direction }) },
) as fc.Arbitrary<Step>;
export type Scenario = { onConflict: Side; steps: Step[]; lastFirst: Direction };
export const scenario: fc.Arbitrary<Scenario> = fc.record({
  onConflict: side,
  steps: fc.array(step, { minLength: 1, maxLength: 14 }),
  lastFirst: direction,
});

// Scenarios share one store: their phones and emails differ, so no link of another scenario holds them.
export const initial = (scenario: number, i: number): Fields => ({
  name: `Rec ${i}`,
  phone: `+62813${String(scenario % 10_000).padStart(4, '0')}${1000 + i}`,
  email: `rec${i}-p${scenario}@example.com`,
  company: 'Acme',
  tags: ['a', 'b'],
  tier: 'silver',
});
export const freshValue = (scenario: number, field: 'phone' | 'email', rec: number, at: number) =>
  field === 'phone'
    ? `+62813${String(scenario % 10_000).padStart(4, '0')}${5000 + at * 10 + rec}`
    : `r${rec}-s${at}-p${scenario}@example.com`;
export const crmColumns = (field: Field, value: string | string[]) =>
  field === 'tags' ? { tags: (value as string[]).join(';') || null } : { [field]: value };
export const sahutPatch = (field: Field, value: string | string[]): ContactPatch =>
  field === 'tier' ? { custom_attributes: { tier: value as string } } : { [field]: value };

/** A contact as the CRM (normalised by the mapping) or Sahut holds it, in the model's terms. */
export function fieldsOf(c: {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
  company?: string | null;
  tags?: string[];
  custom_attributes?: Record<string, unknown>;
}): Fields {
  return {
    name: c.name ?? '',
    phone: c.phone ?? '',
    email: c.email ?? '',
    company: c.company ?? '',
    tags: c.tags ?? [],
    tier: String(c.custom_attributes?.tier ?? ''),
  };
}
