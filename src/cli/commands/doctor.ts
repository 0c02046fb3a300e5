import type { Command } from 'commander';
import { loadDotenv } from '../context.ts';
import { EXIT } from '../exit.ts';

export function registerDoctorCommand(program: Command) {
  program
    .command('doctor')
    .description(
      "Check every dependency (the config files, Redis, the store, each connection's CRM, Sahut) and say how to fix " +
        'each problem. Exits 1 when something must be fixed; warnings alone exit 0.',
    )
    .option('--connection <name>', 'check only this connection')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { connection?: string; json?: boolean }) => {
      // Loaded here: no other command (a worker, run --once) compiles the doctor's checks at start-up.
      const { checklist, doctorJson, runDoctor } = await import('../../doctor/index.ts');
      const checks = await runDoctor(loadDotenv(), opts.connection);
      const report = doctorJson(checks);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : checklist(checks));
      process.exitCode = report.ok ? EXIT.ok : EXIT.checksFailed;
    });
}
