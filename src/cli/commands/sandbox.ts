import type { Command } from 'commander';
import { createLogger } from '../../log/index.ts';
import { createLifecycle } from '../lifecycle.ts';
import { intOption } from '../options.ts';

export function registerSandboxCommand(program: Command) {
  program
    .command('sandbox')
    .description(
      'Start the Sahut sandbox: a local stand-in for the Sahut Contacts API, to try sahut-sync without an account.',
    )
    .option('-p, --port <port>', 'port to listen on', intOption, 4010)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--api-key <key>', 'Bearer key the sandbox accepts (default: SAHUT_API_KEY, else "sandbox-key")')
    .option('--data-file <path>', 'load contacts from this JSON file at start and save them there on exit')
    .option('--rate-limit <n>', 'answer 429 beyond n requests per second', intOption)
    .option('--admin', 'also serve the test-only routes that delete and merge contacts (under /v1/_admin)')
    .action(
      async (opts: {
        port: number;
        host: string;
        apiKey?: string;
        dataFile?: string;
        rateLimit?: number;
        admin?: boolean;
      }) => {
        const log = createLogger({ level: process.env.LOG_LEVEL ?? 'info' });
        const life = createLifecycle(log);
        const sandbox = await (await import('../../sandbox/index.ts')).buildSandbox({
          apiKey: opts.apiKey ?? process.env.SAHUT_API_KEY ?? 'sandbox-key',
          ...(opts.dataFile ? { dataFile: opts.dataFile } : {}),
          ...(opts.admin ? { admin: true } : {}),
          ...(opts.rateLimit ? { faults: { rateLimit: { requests: opts.rateLimit, windowMs: 1000 } } } : {}),
        });
        const baseUrl = await sandbox.listen({ port: opts.port, host: opts.host });
        life.add(() => sandbox.close());
        log.info({ baseUrl }, `Sahut sandbox listening: SAHUT_BASE_URL=${baseUrl}`);
        await life.untilSignal();
      },
    );
}
