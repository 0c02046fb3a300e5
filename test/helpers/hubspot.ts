import {
  createHubspotConnector,
  type HubspotConnector,
  type HubspotConnectorOptions,
} from '../../src/crm/index.ts';
import {
  buildHubspotSandbox,
  type HubspotSandbox,
  type HubspotSandboxOptions,
} from '../../src/hubspot-sandbox/index.ts';

export const HUBSPOT_TOKEN = 'pat-na1-11111111-2222-3333-4444-555555555555';

/** A HubSpot sandbox on a free port and a connector pointed at it. */
export async function startHubspot(
  sandboxOpts: Partial<HubspotSandboxOptions> = {},
  connectorOpts: Partial<HubspotConnectorOptions> = {},
): Promise<{
  sandbox: HubspotSandbox;
  baseUrl: string;
  connector: HubspotConnector;
  close(): Promise<void>;
}> {
  const sandbox = await buildHubspotSandbox({
    token: HUBSPOT_TOKEN,
    customProperties: ['name', 'tags'],
    ...sandboxOpts,
  });
  const baseUrl = await sandbox.listen();
  const connector = createHubspotConnector({
    baseUrl,
    token: HUBSPOT_TOKEN,
    columns: ['name', 'email'],
    retries: 2,
    ...connectorOpts,
  });
  return {
    sandbox,
    baseUrl,
    connector,
    async close() {
      await connector.close();
      await sandbox.close();
    },
  };
}
