import { mergeLinks, type SearchBranch, searchBranches } from '../link-search.ts';
import { LINK_COLUMNS } from '../link-sql.ts';
import { linkRowSchema } from '../rows.ts';
import type { Link, LinkSearch } from '../types.ts';
import { type PgContext, query } from './context.ts';

/**
 * Links matching any branch of `search`, one query per branch. A phone prefix
 * is a range on the phone index; the substring branches scan the links in
 * primary-key order and stop at `limit` matches.
 */
export async function searchLinks(ctx: PgContext, search: LinkSearch, limit: number): Promise<Link[]> {
  const branches = searchBranches(search);
  const results = await Promise.all(
    branches.map(async (branch) => {
      const [where, values] = condition(branch);
      const { rows } = await query(
        ctx,
        `select ${LINK_COLUMNS} from ${ctx.schema}.links where ${where}
         order by connection, crm_id limit $${values.length + 1}`,
        [...values, limit],
      );
      return rows.map((row) => linkRowSchema.parse(row));
    }),
  );
  return mergeLinks(results, limit);
}

function condition(branch: SearchBranch): [string, unknown[]] {
  switch (branch.kind) {
    case 'phonePrefix':
      return [
        'phone >= $1 and ($2::text is null or phone < $2) and starts_with(phone, $1)',
        [branch.prefix, branch.below],
      ];
    case 'phoneDigits':
      return ['strpos(phone, $1) > 0', [branch.needle]];
    case 'emailPart':
      return ['strpos(email, $1) > 0', [branch.needle]];
    case 'namePart':
      return [`strpos(lower(base->>'name'), $1) > 0`, [branch.needle]];
  }
}
