import type { Connection } from '../config/index.ts';
import { createHubspotConnector, type HubspotSourceConfig } from '../crm/index.ts';
import { type Checklist, messageOf } from './types.ts';

const READ = 'crm.objects.contacts.read';
const WRITE = 'crm.objects.contacts.write';
const SCHEMA = 'crm.schemas.contacts.read';

/**
 * A hubspot connection: the token's scopes against what the connection does, the app's
 * 10-second limit against `source.limits.burstPer10s`, today's remaining calls against the
 * reserve, and where its webhooks go.
 */
export async function hubspotChecks(connection: Connection, source: HubspotSourceConfig, list: Checklist) {
  const { ok, warn, fail } = list;
  const connector = createHubspotConnector({
    baseUrl: source.baseUrl,
    token: source.token,
    columns: ['email'],
    retries: 1,
    maxRateLimitWaitMs: 5000,
  });
  try {
    const scopes = await connector.scopes();
    const writes = connection.directions.includes('sahut-to-crm');
    const missing = [READ, ...(writes ? [WRITE] : []), SCHEMA].filter((s) => !scopes.includes(s));
    if (missing.length === 0)
      ok('token scopes', `${[READ, ...(writes ? [WRITE] : []), SCHEMA].join(', ')} granted`);
    else
      fail(
        'token scopes',
        `the private app lacks ${missing.join(', ')}${missing.includes(WRITE) ? ' (sahut-to-crm writes back)' : ''}`,
        "add the scopes in the private app's settings (Scopes tab), then copy the new token if HubSpot rotates it",
      );
  } catch (err) {
    fail('token scopes', messageOf(err), "check source.token: the private app's access token");
  }
  try {
    const seen = await connector.probe();
    if (!seen)
      warn(
        'API limits',
        'HubSpot sent no rate-limit headers (an OAuth token?): the daily budget cannot be watched',
      );
    else {
      const { burstPer10s, dailyReserve } = source.limits;
      if (seen.tenSecondly !== undefined && burstPer10s > seen.tenSecondly)
        fail(
          'burst limit',
          `HubSpot allows this app ${seen.tenSecondly} requests per 10 s; source.limits.burstPer10s is ${burstPer10s}: expect 429s`,
          `set source.limits.burstPer10s: ${seen.tenSecondly}`,
        );
      else if (seen.tenSecondly !== undefined && burstPer10s < seen.tenSecondly * 0.9)
        warn(
          'burst limit',
          `HubSpot allows ${seen.tenSecondly} requests per 10 s; sahut-sync uses ${burstPer10s}`,
          `set source.limits.burstPer10s: ${seen.tenSecondly} to sync faster`,
        );
      else
        ok(
          'burst limit',
          `${burstPer10s} requests per 10 s (HubSpot allows ${seen.tenSecondly ?? 'an unreported number'})`,
        );
      if (seen.remaining <= dailyReserve)
        fail(
          'daily limit',
          `${seen.remaining} of ${seen.daily} calls left today, at or below the reserve of ${dailyReserve}: runs stop until HubSpot resets the count`,
          'wait for midnight in the account time zone, or lower source.limits.dailyReserve',
        );
      else ok('daily limit', `${seen.remaining} of ${seen.daily} calls left today (reserve ${dailyReserve})`);
    }
  } catch (err) {
    fail('API limits', messageOf(err));
  } finally {
    await connector.close();
  }
  if (source.webhook)
    ok(
      'webhooks',
      `serve receives them at POST /webhooks/hubspot/${connection.name}: enter that URL as the app's webhook target`,
    );
  else
    warn(
      'webhooks',
      'off: changes wait for the schedule',
      "set source.webhook.clientSecret (the app's client secret) and the app's target URL",
    );
}
