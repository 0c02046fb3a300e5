import type { Command } from 'commander';
import { MAX_LINKS, recordHistory } from '../../search/index.ts';
import { AUDIT_ACTIONS, type AuditPage, type AuditQuery, type AuditRow } from '../../store/types.ts';
import { loadContext, openMigratedStore } from '../context.ts';
import { dateOption, intOption } from '../options.ts';
import { table } from '../summary.ts';

interface AuditOptions {
  crmId?: string;
  sahutId?: string;
  identity?: string;
  search?: string;
  run?: string;
  action?: AuditQuery['action'];
  connection?: string;
  since?: Date;
  until?: Date;
  limit: number;
  cursor?: string;
  json?: boolean;
}

export function registerAuditCommand(program: Command) {
  program
    .command('audit')
    .description(
      'Query the audit log: every attempt on every record, newest first, with the field diff and the error.',
    )
    .option('--crm-id <id>', 'rows of this CRM record')
    .option('--sahut-id <id>', 'rows of this Sahut contact')
    .addOption(
      program
        .createOption(
          '--identity <phone-or-email>',
          'rows of the records linked to exactly this phone or email',
        )
        .conflicts(['crmId', 'sahutId']),
    )
    .addOption(
      program
        .createOption(
          '-q, --search <text>',
          'rows of the records whose phone, email or name holds this text (0812 3456, +62812, budi@, Budi), as the /audit page searches',
        )
        .conflicts(['crmId', 'sahutId', 'identity']),
    )
    .option('--run <id>', 'rows of this run')
    .addOption(program.createOption('--action <action>', 'only this action').choices(AUDIT_ACTIONS))
    .option('--connection <name>', 'only this connection')
    .option('--since <time>', 'rows at or after this ISO time', dateOption)
    .option('--until <time>', 'rows before this ISO time', dateOption)
    .option('--limit <n>', 'rows per page (max 1000)', intOption, 50)
    .option('--cursor <cursor>', 'next page: the cursor printed by the previous page')
    .option('--json', 'print one JSON document, as /api/audit does: {"rows": […], "next_cursor": …}')
    .action(async (opts: AuditOptions) => {
      const { config } = loadContext();
      const store = await openMigratedStore(config);
      try {
        const within = {
          ...(opts.run ? { runId: opts.run } : {}),
          ...(opts.action ? { action: opts.action } : {}),
          ...(opts.connection ? { connection: opts.connection } : {}),
          ...(opts.since ? { since: opts.since } : {}),
          ...(opts.until ? { until: opts.until } : {}),
        };
        const limit = Math.min(Math.max(opts.limit, 1), 1000);
        const text = opts.search ?? opts.identity;
        let page: AuditPage;
        if (text !== undefined) {
          // The page's search: links hold normalised keys, so `0812-3456-789` finds `+628123456789`.
          const history = await recordHistory(store, text, {
            limit,
            cursor: opts.cursor,
            region: config.defaultRegion,
            partial: opts.search !== undefined,
            within,
          });
          if (history.moreLinks)
            process.stderr.write(`More than ${MAX_LINKS} records match; showing the first ${MAX_LINKS}.\n`);
          page = history;
        } else {
          page = await store.queryAudit({
            ...within,
            limit,
            ...(opts.crmId ? { crmId: opts.crmId } : {}),
            ...(opts.sahutId ? { sahutId: opts.sahutId } : {}),
            ...(opts.cursor ? { cursor: opts.cursor } : {}),
          });
        }
        print(page.rows, page.nextCursor, opts.json === true);
      } finally {
        await store.close();
      }
    });
}

function print(rows: readonly AuditRow[], nextCursor: string | null, json: boolean) {
  if (json) {
    // The same shape as /api/audit, so a script pages both alike: next_cursor goes back as --cursor.
    process.stdout.write(`${JSON.stringify({ rows, next_cursor: nextCursor })}\n`);
    return;
  }
  const cells = rows.map((r) => [
    r.at.toISOString(),
    r.runId,
    r.direction,
    r.crmId ?? '-',
    r.sahutId ?? '-',
    r.action,
    String(r.attempt),
    r.error ?? (r.diff ? Object.keys(r.diff).join(', ') : ''),
  ]);
  process.stdout.write(
    `${table(['at', 'run', 'direction', 'crm id', 'sahut id', 'action', 'try', 'detail'], cells)}\n`,
  );
  if (nextCursor) process.stdout.write(`more: --cursor ${nextCursor}\n`);
}
