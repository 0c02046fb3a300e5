import { Command, CommanderError } from 'commander';
import { ConfigError, envSchema, loadConfig } from '../config/index.ts';
import { createLogger, isPretty, scrub } from '../log/index.ts';
import { MappingError } from '../mapping/index.ts';
import { RedisSetupError } from '../queue/index.ts';
import { registerAttentionCommand } from './commands/attention.ts';
import { registerAuditCommand } from './commands/audit.ts';
import { registerCrmCommand } from './commands/crm.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerHubspotSandboxCommand } from './commands/hubspot-sandbox.ts';
import { registerInitCommand } from './commands/init.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerSandboxCommand } from './commands/sandbox.ts';
import { registerSchedulerCommand } from './commands/scheduler.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { secretsFor } from './context.ts';
import { EXIT } from './exit.ts';

export function buildCli(): Command {
  const program = new Command('sahut-sync')
    .description(
      'Bidirectional contact sync between a CRM and Sahut: no duplicates, no loops, a full audit trail.',
    )
    .version('0.1.0')
    .showHelpAfterError()
    // Throw instead of exiting, so a usage error gets the documented code (64), not commander's 1.
    .exitOverride();
  for (const register of [
    registerInitCommand,
    registerDoctorCommand,
    registerWorkerCommand,
    registerSchedulerCommand,
    registerRunCommand,
    registerReplayCommand,
    registerAuditCommand,
    registerAttentionCommand,
    registerCrmCommand,
    registerServeCommand,
    registerSandboxCommand,
    registerHubspotSandboxCommand,
    registerDemoCommand,
  ]) {
    register(program);
  }
  return program;
}

/** Runs the CLI and turns fatal errors into one clear line (JSON off a terminal) and a documented exit code. */
export async function execute(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync(argv as string[]);
  } catch (err) {
    // Commander has already printed its message (or the help, or the version).
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.exitCode = exitCodeFor(err);
    reportFatal(err instanceof Error ? err.message : String(err), process.exitCode);
  }
}

/**
 * For a person at a terminal, `sahut-sync: <message>` on stderr; off a terminal, where every line
 * is JSON, a `fatal` log line like any other (the command's own logger may not exist yet).
 */
function reportFatal(message: string, exitCode: number, env: NodeJS.ProcessEnv = process.env): void {
  const format = envSchema.shape.LOG_FORMAT.catch('auto').parse(env.LOG_FORMAT);
  let secrets: string[] = [];
  try {
    secrets = secretsFor(loadConfig(env), env);
  } catch {
    // A bad setting: its message names the variable, never its value.
  }
  if (isPretty(format, process.stdout)) process.stderr.write(`sahut-sync: ${scrub(message, secrets)}\n`);
  else createLogger({ format: 'json', secrets }).fatal({ exitCode }, message);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError || err instanceof MappingError) return EXIT.config;
  if (err instanceof RedisSetupError) return EXIT.unavailable;
  // A command's own usage check (commander cannot express it) throws with a `commander.` code.
  if (typeof err === 'object' && err !== null && 'code' in err && String(err.code).startsWith('commander.'))
    return EXIT.usage;
  return EXIT.software;
}
