import type { Command } from 'commander';
import {
  type ActionRequest,
  actionProblem,
  actionRequestSchema,
  cliActor,
  describeAction,
  summaryOf,
} from '../../attention/index.ts';
import { enqueueAction, waitForAction } from '../../queue/actions/index.ts';
import { checkRedis, createRuntime, type Runtime, startWorkers, waitForRun } from '../../queue/index.ts';
import { connectionsOf, loadContext, openMigratedStore } from '../context.ts';
import { EXIT, UsageError } from '../exit.ts';

interface ActOptions {
  connection: string;
  crmId?: string;
  id?: string;
  by?: string;
  wait: boolean;
  candidate?: string;
  field?: string;
  side?: 'crm' | 'sahut';
}

/** What a subcommand adds to the record it names. */
type ActionArgs = ActionRequest extends infer R
  ? R extends ActionRequest
    ? Omit<R, 'connection' | 'id'>
    : never
  : never;

export function registerAttentionActions(attention: Command) {
  const common = (name: string, description: string) =>
    attention
      .command(name)
      .description(description)
      .requiredOption('--connection <name>', 'the connection of the record')
      .option('--crm-id <id>', 'the record, by its CRM id')
      .option('--id <id>', 'the entry as listed, for those without a CRM id (pair:…, sahut:…, row:…)')
      .option('--by <name>', 'who acts, for the audit (default: your user name)')
      .option('--no-wait', 'queue it and exit: a running worker carries it out');
  common('link', 'An ambiguous record is this Sahut contact: remembered, and linked by a run started now.')
    .requiredOption('--candidate <sahut-id>', 'one of the candidates listed')
    .action((o: ActOptions) => act({ action: 'link', candidate: o.candidate as string }, o));
  common(
    'create',
    'An ambiguous record is none of its candidates: remembered, and created by a run started now.',
  ).action((o: ActOptions) => act({ action: 'create' }, o));
  common('retry', 'Read a failed record again, in a run started now.').action((o: ActOptions) =>
    act({ action: 'retry' }, o),
  );
  common(
    'ack',
    'Acknowledge: hidden from the listing until it is reported with another reason or values.',
  ).action((o: ActOptions) => act({ action: 'acknowledge' }, o));
  common(
    'recreate',
    'A contact gone from Sahut (gone-in-sahut): create it again from the CRM record, in a run started now.',
  ).action((o: ActOptions) => act({ action: 'recreate' }, o));
  common(
    'unlink',
    'A contact gone from Sahut (gone-in-sahut): close the link, keeping the CRM record, in a run started now.',
  ).action((o: ActOptions) => act({ action: 'unlink' }, o));
  common(
    'confirm',
    'A deletion guard entry (--id guard:<direction>): a run started now acts on the removals it held back.',
  ).action((o: ActOptions) => act({ action: 'confirm' }, o));
  common('take', "Resolve a conflict: keep one side's value of a field, on both sides, now.")
    .requiredOption('--field <field>', 'the conflicting field, e.g. company or custom_attributes.tier')
    .addOption(
      attention
        .createOption('--side <side>', 'whose value to keep')
        .choices(['crm', 'sahut'])
        .makeOptionMandatory(),
    )
    .action((o: ActOptions) => act({ action: 'take', field: o.field as string, side: o.side as 'crm' }, o));
}

/**
 * Queues the action and, unless `--no-wait`, carries it out in this process
 * (other workers may help), waits for the run it starts, and says whether
 * the record still needs attention (exit 1 if it does, or if the action was refused).
 */
async function act(partial: ActionArgs, opts: ActOptions): Promise<void> {
  const id = opts.crmId ?? opts.id;
  if (!id || (opts.crmId && opts.id)) throw new UsageError('give the record as --crm-id <id> or --id <id>');
  const request = actionRequestSchema.parse({ connection: opts.connection, id, ...partial });
  const { config, log } = loadContext();
  await checkRedis(config.redis.connection);
  const store = await openMigratedStore(config);
  const rt = createRuntime({ config, ...connectionsOf(config), store, log });
  const workers = opts.wait ? startWorkers(rt) : undefined;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  try {
    const problem = actionProblem(await store.getAttention(request.connection, request.id), request);
    if (problem) throw new UsageError(problem.message);
    const actor = cliActor(opts.by);
    const actionId = await enqueueAction(rt.queues.actions, config, request, actor);
    out(`Action ${actionId}: ${describeAction(request)}, by ${actor.by} (cli)`);
    if (!opts.wait) {
      out('Queued: a running worker carries it out.');
      return;
    }
    const status = await waitForAction(rt, actionId);
    if (status?.state !== 'completed') {
      out(`Not carried out: ${status?.error ?? 'the action is gone from Redis'}`);
      process.exitCode = EXIT.recordsFailed;
      return;
    }
    if (status.result?.runId) await reportRun(rt, status.result.runId, status.result.runJobId, request, out);
    else out(`${request.id}: ${status.result?.outcome ?? 'done'}`);
    const left = await store.getAttention(request.connection, request.id);
    if (left && !left.acknowledged) {
      out(`${request.id} still needs attention: ${left.kind}: ${summaryOf(left)}`);
      process.exitCode = EXIT.recordsFailed;
    } else out(`${request.id} no longer needs attention.`);
  } finally {
    await workers?.close();
    await rt.close();
    await store.close();
  }
}

async function reportRun(
  rt: Runtime,
  runId: string,
  jobId: string | undefined,
  request: ActionRequest,
  out: (text: string) => void,
) {
  out(`Run ${runId} reads ${request.id} again; waiting for it`);
  const job = jobId ? await rt.queues.runs.getJob(jobId) : undefined;
  const run = job ? await waitForRun(rt, job, runId) : await rt.store.getRun(runId);
  const [row] = (await rt.store.queryAudit({ runId, crmId: request.id, limit: 1 })).rows;
  const outcome = row
    ? `${row.action}${row.sahutId ? ` (${row.sahutId})` : ''}${row.error ? `: ${row.error}` : ''}`
    : 'not read';
  out(`Run ${runId} ${run?.status ?? 'unknown'}; ${request.id}: ${outcome}`);
}
