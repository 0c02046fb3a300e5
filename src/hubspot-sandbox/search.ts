import { z } from 'zod';
import { compareIds } from './contacts.ts';

/** HubSpot's search limits (2026 reference): page size, result cap, filter counts, body size. */
export const SEARCH_LIMITS = {
  maxLimit: 200,
  defaultLimit: 10,
  maxResults: 10_000,
  maxGroups: 5,
  maxFiltersPerGroup: 6,
  maxFilters: 18,
  maxBodyChars: 3000,
} as const;

const OPERATORS = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
] as const;

const filterSchema = z.object({
  propertyName: z.string().min(1),
  operator: z.enum(OPERATORS),
  value: z.union([z.string(), z.number()]).transform(String).optional(),
  highValue: z.union([z.string(), z.number()]).transform(String).optional(),
  values: z.array(z.union([z.string(), z.number()]).transform(String)).optional(),
});
export type Filter = z.infer<typeof filterSchema>;

const sortSchema = z.union([
  z
    .string()
    .transform((s) =>
      s.startsWith('-')
        ? { propertyName: s.slice(1), direction: 'DESCENDING' as const }
        : { propertyName: s, direction: 'ASCENDING' as const },
    ),
  z.object({
    propertyName: z.string().min(1),
    direction: z.enum(['ASCENDING', 'DESCENDING']).default('ASCENDING'),
  }),
]);

export const searchRequestSchema = z.object({
  filterGroups: z.array(z.object({ filters: z.array(filterSchema) })).default([]),
  sorts: z.array(sortSchema).default([]),
  properties: z.array(z.string()).optional(),
  limit: z.int().min(1).optional(),
  after: z
    .union([z.string().regex(/^\d+$/), z.int().nonnegative()])
    .transform(Number)
    .optional(),
  query: z.string().optional(),
});
export type SearchRequest = z.infer<typeof searchRequestSchema>;

/** The 400s HubSpot answers before searching, or null when the request is within its limits. */
export function searchLimitError(req: SearchRequest, bodyChars: number): string | null {
  if (bodyChars > SEARCH_LIMITS.maxBodyChars)
    return `Request body is ${bodyChars} characters; the maximum is ${SEARCH_LIMITS.maxBodyChars}`;
  if ((req.limit ?? 0) > SEARCH_LIMITS.maxLimit) return `limit must be at most ${SEARCH_LIMITS.maxLimit}`;
  if (req.sorts.length > 1) return 'Only one sort is allowed';
  if (req.filterGroups.length > SEARCH_LIMITS.maxGroups)
    return `Too many filter groups: at most ${SEARCH_LIMITS.maxGroups}`;
  const filters = req.filterGroups.reduce((n, g) => n + g.filters.length, 0);
  if (
    req.filterGroups.some((g) => g.filters.length > SEARCH_LIMITS.maxFiltersPerGroup) ||
    filters > SEARCH_LIMITS.maxFilters
  )
    return `Too many filters: at most ${SEARCH_LIMITS.maxFiltersPerGroup} per group and ${SEARCH_LIMITS.maxFilters} in all`;
  const after = req.after ?? 0;
  if (after + (req.limit ?? SEARCH_LIMITS.defaultLimit) > SEARCH_LIMITS.maxResults)
    return `Cannot page beyond ${SEARCH_LIMITS.maxResults} results; this search asks for results up to ${after + (req.limit ?? SEARCH_LIMITS.defaultLimit)}`;
  return null;
}

type Props = Readonly<Record<string, string | undefined>>;
const DATE_PROPERTIES = new Set(['lastmodifieddate', 'createdate']);

/** Dates compare as instants (ISO or epoch ms), ids and numbers as numbers, the rest as lower-cased text. */
function compareValues(name: string, a: string, b: string): number {
  if (DATE_PROPERTIES.has(name)) return instant(a) - instant(b);
  if (name === 'hs_object_id') return compareIds(a, b);
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  return la < lb ? -1 : la > lb ? 1 : 0;
}

const instant = (v: string) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v));

/** `*` is a wildcard; a token is a run of letters, digits, `@`, `.`, `_` or `-`. */
function containsToken(value: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .toLowerCase()
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return value
    .toLowerCase()
    .split(/[\s;,]+/)
    .some((token) => re.test(token));
}

export function matchesFilter(props: Props, f: Filter): boolean {
  const raw = props[f.propertyName];
  const has = raw !== undefined && raw !== '';
  const v = f.value ?? '';
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'NEQ':
      return !has || compareValues(f.propertyName, raw, v) !== 0;
    case 'NOT_IN':
      return !has || !(f.values ?? []).some((x) => compareValues(f.propertyName, raw, x) === 0);
    case 'NOT_CONTAINS_TOKEN':
      return !has || !containsToken(raw, v);
  }
  if (!has) return false;
  const c = compareValues(f.propertyName, raw, v);
  switch (f.operator) {
    case 'EQ':
      return c === 0;
    case 'LT':
      return c < 0;
    case 'LTE':
      return c <= 0;
    case 'GT':
      return c > 0;
    case 'GTE':
      return c >= 0;
    case 'BETWEEN':
      return c >= 0 && compareValues(f.propertyName, raw, f.highValue ?? '') <= 0;
    case 'IN':
      return (f.values ?? []).some((x) => compareValues(f.propertyName, raw, x) === 0);
    case 'CONTAINS_TOKEN':
      return containsToken(raw, v);
  }
}

const QUERY_PROPERTIES = [
  'firstname',
  'lastname',
  'email',
  'phone',
  'hs_additional_emails',
  'mobilephone',
  'company',
];

/**
 * Filters (AND inside a group, OR across groups), the free-text query, one sort, then the
 * `after` offset page. HubSpot promises no order among ties: they come in a scrambled but stable
 * order here, so a client that relies on id order among equal sort values is caught.
 */
export function runSearch<T extends { id: string; properties: Props }>(
  all: readonly T[],
  req: SearchRequest,
) {
  const q = req.query?.toLowerCase();
  const hits = all.filter(
    (c) =>
      (req.filterGroups.length === 0 ||
        req.filterGroups.some((g) => g.filters.every((f) => matchesFilter(c.properties, f)))) &&
      (!q || QUERY_PROPERTIES.some((p) => c.properties[p]?.toLowerCase().includes(q))),
  );
  const sort = req.sorts[0];
  hits.sort((a, b) => {
    if (sort) {
      const [x, y] = [a.properties[sort.propertyName], b.properties[sort.propertyName]];
      const c =
        x === undefined || y === undefined
          ? (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0)
          : compareValues(sort.propertyName, x, y);
      if (c !== 0) return sort.direction === 'DESCENDING' ? -c : c;
    }
    return scramble(a.id) - scramble(b.id) || compareIds(a.id, b.id);
  });
  const after = req.after ?? 0;
  const limit = req.limit ?? SEARCH_LIMITS.defaultLimit;
  const page = hits.slice(after, after + limit);
  const next = after + page.length < hits.length ? String(after + page.length) : undefined;
  return { total: hits.length, page, next };
}

/** FNV-1a of the id: a stable order unrelated to the ids' own. */
function scramble(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
