import { mergeLinks, type SearchBranch, searchBranches } from '../link-search.ts';
import { LINK_COLUMNS } from '../link-sql.ts';
import { linkRowSchema } from '../rows.ts';
import type { Link, LinkSearch } from '../types.ts';
import type { SqliteDatabase } from './database.ts';

/**
 * Links matching any branch of `search`, one query per branch. A phone prefix
 * is a range on the phone index; the substring branches scan the links in
 * primary-key order and stop at `limit` matches. SQLite's lower() folds ASCII
 * letters only, so a name part matches other letters in the case written.
 */
export function searchLinks(db: SqliteDatabase, search: LinkSearch, limit: number): Link[] {
  const results = searchBranches(search).map((branch) => {
    const [where, values] = condition(branch);
    return db
      .statement(`select ${LINK_COLUMNS} from links where ${where} order by connection, crm_id limit :limit`)
      .all({ ...values, limit })
      .map((row) => linkRowSchema.parse(row));
  });
  return mergeLinks(results, limit);
}

function condition(branch: SearchBranch): [string, Record<string, string | null>] {
  switch (branch.kind) {
    case 'phonePrefix':
      return [
        'phone >= :prefix and (:below is null or phone < :below) and substr(phone, 1, length(:prefix)) = :prefix',
        { prefix: branch.prefix, below: branch.below },
      ];
    case 'phoneDigits':
      return ['instr(phone, :needle) > 0', { needle: branch.needle }];
    case 'emailPart':
      return ['instr(email, :needle) > 0', { needle: branch.needle }];
    case 'namePart':
      return [`instr(lower(json_extract(base, '$.name')), :needle) > 0`, { needle: branch.needle }];
  }
}
