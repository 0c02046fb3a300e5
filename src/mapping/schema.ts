import { z } from 'zod';
import {
  type FieldKey,
  type FieldRule,
  type Mapping,
  OWNERS,
  SCALAR_FIELDS,
  TRANSFORMS,
  type Transform,
} from './types.ts';

const FIELD_KEY = new RegExp(
  `^(?:${[...SCALAR_FIELDS, 'tags'].join('|')}|custom_attributes\\.[A-Za-z0-9_-]+)$`,
);
const DEFAULT_SEPARATOR: Partial<Record<Transform, string>> = { concat: ' ', split: ',', join: ', ' };
const USES_SEPARATOR = new Set<Transform>(['concat', 'split', 'join']);

const column = z.string().trim().min(1);
const rawFieldSchema = z
  .object({
    from: z
      .union([column, z.array(column).min(1)], { error: 'expected a column name or a list of column names' })
      .optional(),
    transform: z.enum(TRANSFORMS).optional(),
    separator: z.string().min(1).optional(),
    constant: z.array(z.string().trim().min(1)).optional(),
    value: z
      .union([z.string(), z.number(), z.boolean(), z.null()], {
        error: 'expected a string, number, boolean or null',
      })
      .optional(),
    owner: z.enum(OWNERS).default('crm'),
  })
  .strict();
type RawField = z.output<typeof rawFieldSchema>;

type Problem = { at: string; message: string };

/** Applies defaults and checks the rules that span several keys of one field. */
function toRule(key: string, raw: RawField): { rule?: FieldRule; problems: Problem[] } {
  const problems: Problem[] = [];
  const fail = (at: string, message: string) => problems.push({ at, message });
  if (!FIELD_KEY.test(key)) {
    fail('', 'unknown Sahut field: expected name, phone, email, company, tags or custom_attributes.<key>');
    return { problems };
  }
  const isTags = key === 'tags';
  const from = raw.from === undefined ? [] : typeof raw.from === 'string' ? [raw.from] : raw.from;
  const transform: Transform =
    raw.transform ??
    (raw.value !== undefined ? 'constant' : isTags ? 'split' : from.length > 1 ? 'concat' : 'trim');
  const constant = raw.constant ?? [];

  if (isTags && transform !== 'split')
    fail('transform', 'tags take transform split (fixed tags go in constant)');
  if (!isTags && transform === 'split') fail('transform', 'split makes a list: only tags can use it');
  if (!isTags && raw.constant !== undefined)
    fail('constant', 'only tags take constant tags; use transform constant with value');
  if (from.length > 1 && transform !== 'concat') fail('from', 'a list of columns needs transform concat');
  if (transform === 'constant') {
    if (raw.value === undefined) fail('value', 'is required by transform constant');
    if (from.length > 0) fail('from', 'is not used by transform constant');
    if (
      !key.startsWith('custom_attributes.') &&
      raw.value !== undefined &&
      raw.value !== null &&
      typeof raw.value !== 'string'
    ) {
      fail('value', 'expected string');
    }
  } else {
    if (raw.value !== undefined) fail('value', 'is only used by transform constant');
    if (from.length === 0 && !(isTags && constant.length > 0)) fail('from', 'is required');
  }
  if (raw.separator !== undefined && !USES_SEPARATOR.has(transform))
    fail('separator', 'is only used by concat, split and join');
  if (raw.owner !== 'crm') {
    const why =
      transform === 'concat'
        ? 'a concat field'
        : transform === 'constant'
          ? 'a constant'
          : isTags && from.length === 0
            ? 'tags without from'
            : null;
    if (why) fail('owner', `${why} cannot be written back to the CRM: use owner crm`);
  }
  if (problems.length > 0) return { problems };
  const rule: FieldRule = {
    key: key as FieldKey,
    from,
    transform,
    separator: raw.separator ?? DEFAULT_SEPARATOR[transform] ?? '',
    constant,
    value: raw.value ?? null,
    owner: raw.owner,
  };
  return { rule, problems };
}

/** The mapping file: Sahut field → how to fill it from CRM columns and who owns it. */
export const mappingSchema = z
  .object({ fields: z.record(z.string(), rawFieldSchema) })
  .strict()
  .transform((raw, ctx): Mapping => {
    const fields: FieldRule[] = [];
    const writers = new Map<string, string>();
    for (const [key, field] of Object.entries(raw.fields)) {
      const { rule, problems } = toRule(key, field);
      for (const p of problems) {
        ctx.addIssue({
          code: 'custom',
          path: p.at ? ['fields', key, p.at] : ['fields', key],
          message: p.message,
        });
      }
      if (!rule) continue;
      // Two written-back fields on one column would overwrite each other.
      if (rule.owner !== 'crm') {
        for (const col of rule.from) {
          const other = writers.get(col);
          if (other) {
            const message = `column "${col}" is already written back by fields.${other}`;
            ctx.addIssue({ code: 'custom', path: ['fields', key, 'from'], message });
          }
          writers.set(col, key);
        }
      }
      fields.push(rule);
    }
    if (Object.keys(raw.fields).length === 0)
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'maps no field' });
    return { fields };
  });
