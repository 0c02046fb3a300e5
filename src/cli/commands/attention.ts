import type { Command } from 'commander';
import { summaryOf } from '../../attention/index.ts';
import { DIRECTIONS } from '../../domain/index.ts';
import { ATTENTION_KINDS, type AttentionEntry, type AttentionQuery } from '../../store/types.ts';
import { loadContext, openMigratedStore } from '../context.ts';
import { intOption } from '../options.ts';
import { table } from '../summary.ts';
import { registerAttentionActions } from './attention-act.ts';

/** The query's filters, as commander parses them, plus the output format. */
type ListOptions = AttentionQuery & { json?: boolean };

/**
 * `attention` lists the records that need a person (the default subcommand,
 * `list`); `link`, `create`, `retry`, `ack` and `take` act on one of them.
 */
export function registerAttentionCommand(program: Command) {
  const attention = program
    .command('attention')
    .description(
      'Records whose latest outcome needs a person (ambiguous, rejected, failed, conflict, duplicate-suspected), and the actions on them.',
    );
  attention
    .command('list', { isDefault: true })
    .description('List them, most recently reported first (the default: `sahut-sync attention [options]`).')
    .option('--connection <name>', 'only this connection')
    .addOption(attention.createOption('--kind <kind>', 'only this kind').choices(ATTENTION_KINDS))
    .addOption(attention.createOption('--direction <direction>', 'only this direction').choices(DIRECTIONS))
    .option('--acknowledged', 'list what was acknowledged (hidden from the listing) instead')
    .option('--limit <n>', 'entries per page (max 1000)', intOption, 50)
    .option('--cursor <cursor>', 'next page: the cursor printed by the previous page')
    .option('--json', 'print one JSON document, as /api/attention does: {"entries": […], "next_cursor": …}')
    .action(async (opts: ListOptions) => {
      const { config } = loadContext();
      const store = await openMigratedStore(config);
      try {
        const page = await store.listAttention({
          ...(opts.connection ? { connection: opts.connection } : {}),
          ...(opts.kind ? { kind: opts.kind } : {}),
          ...(opts.direction ? { direction: opts.direction } : {}),
          ...(opts.acknowledged ? { acknowledged: true } : {}),
          ...(opts.cursor ? { cursor: opts.cursor } : {}),
          limit: Math.min(Math.max(opts.limit, 1), 1000),
        });
        print(page.entries, page.nextCursor, opts.json === true);
      } finally {
        await store.close();
      }
    });
  registerAttentionActions(attention);
}

function print(entries: readonly AttentionEntry[], nextCursor: string | null, json: boolean) {
  if (json) {
    process.stdout.write(`${JSON.stringify({ entries, next_cursor: nextCursor })}\n`);
    return;
  }
  if (entries.length === 0) {
    process.stdout.write('Nothing needs attention.\n');
    return;
  }
  const cells = entries.map((e) => [
    e.connection,
    e.direction,
    e.kind,
    e.id,
    e.at.toISOString(),
    String(e.times),
    e.pending ? `(${e.pending.action} asked by ${e.pending.by}) ${summaryOf(e)}` : summaryOf(e),
  ]);
  process.stdout.write(
    `${table(['connection', 'direction', 'kind', 'id', 'last reported', 'times', 'what'], cells)}\n`,
  );
  if (nextCursor) process.stdout.write(`more: --cursor ${nextCursor}\n`);
}
