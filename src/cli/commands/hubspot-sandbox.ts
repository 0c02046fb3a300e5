import type { Command } from 'commander';
import { buildHubspotSandbox } from '../../hubspot-sandbox/index.ts';
import { createLogger } from '../../log/index.ts';
import { createLifecycle } from '../lifecycle.ts';
import { intOption } from '../options.ts';

export function registerHubspotSandboxCommand(program: Command) {
  program
    .command('hubspot-sandbox')
    .description(
      "Start the HubSpot sandbox: a local stand-in for HubSpot's CRM contacts API (limits, search cap, index lag, webhooks), to try a hubspot source without an account.",
    )
    .option('-p, --port <port>', 'port to listen on', intOption, 4020)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--token <token>',
      'access token the sandbox accepts (default: HUBSPOT_TOKEN, else "sandbox-token")',
    )
    .option('--property <name...>', 'custom contact properties the account has')
    .option('--index-lag <ms>', 'how long a write stays invisible to search', intOption, 1000)
    .option('--burst <n>', 'requests per rolling 10 s (search excluded)', intOption, 100)
    .option('--daily <n>', 'requests per day', intOption, 250_000)
    .option('--webhook-url <url>', 'POST contact events here, signed (v3) with --client-secret')
    .option('--client-secret <secret>', 'key of the webhook signatures (default: HUBSPOT_CLIENT_SECRET)')
    .action(
      async (opts: {
        port: number;
        host: string;
        token?: string;
        property?: string[];
        indexLag: number;
        burst: number;
        daily: number;
        webhookUrl?: string;
        clientSecret?: string;
      }) => {
        const log = createLogger({ level: process.env.LOG_LEVEL ?? 'info' });
        const life = createLifecycle(log);
        const clientSecret = opts.clientSecret ?? process.env.HUBSPOT_CLIENT_SECRET;
        if (opts.webhookUrl && !clientSecret)
          throw new Error('--webhook-url needs --client-secret or HUBSPOT_CLIENT_SECRET');
        const sandbox = await buildHubspotSandbox({
          token: opts.token ?? process.env.HUBSPOT_TOKEN ?? 'sandbox-token',
          customProperties: opts.property ?? [],
          indexLagMs: opts.indexLag,
          limits: { tenSecondly: opts.burst, daily: opts.daily },
          ...(opts.webhookUrl && clientSecret ? { webhook: { url: opts.webhookUrl, clientSecret } } : {}),
        });
        const baseUrl = await sandbox.listen({ port: opts.port, host: opts.host });
        life.add(() => sandbox.close());
        log.info({ baseUrl }, `HubSpot sandbox listening: give the hubspot source baseUrl: ${baseUrl}`);
        await life.untilSignal();
      },
    );
}
