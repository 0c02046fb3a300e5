import type { Config, Connection } from '../config/index.ts';
import { requireSahutKey } from '../config/index.ts';
import type { Direction, FieldDiff } from '../domain/index.ts';
import type { Logger } from '../log/index.ts';
import { createConnectors } from '../queue/runtime.ts';
import { createSahutClient, createTokenBucket } from '../sahut/index.ts';
import type { SahutContact } from '../sahut/types.ts';
import type { Store } from '../store/types.ts';
import type { ApplyPorts, RecordOutcome } from '../sync/apply/ports.ts';
import { prepareRecord } from '../sync/apply/prepare.ts';
import { syncToSahut } from '../sync/apply/to-sahut.ts';

interface DryRunOptions {
  config: Readonly<Config>;
  log: Logger;
  store: Store;
  connections: readonly Connection[];
  targets: readonly { connection: Connection; direction: Direction }[];
  out: NodeJS.WritableStream;
}

/**
 * Runs the real decision path with Sahut's writes and the store's writes
 * replaced by recorders: searches happen (read-only), nothing is changed.
 */
export async function dryRun(opts: DryRunOptions): Promise<void> {
  const { config, out } = opts;
  const sahut = createSahutClient({
    baseUrl: config.sahut.baseUrl,
    apiKey: requireSahutKey(config),
    rateLimiter: createTokenBucket({ ratePerSec: config.sahut.rateLimit, burst: 1 }),
  });
  const connectors = createConnectors(config, opts.connections, opts.log);
  const fake = (id: string, body: Partial<SahutContact>): SahutContact => ({
    id,
    name: '',
    phone: null,
    email: null,
    company: null,
    tags: [],
    custom_attributes: {},
    created_at: new Date().toISOString(),
    ...body,
  });
  let planned = 0;
  const ports: ApplyPorts = {
    sahut: {
      iterate: (params, o) => sahut.iterate(params, o),
      get: (id, o) => sahut.get(id, o),
      create: async (body) => fake(`(new ${++planned})`, body),
      update: async (id, patch) => fake(id, patch),
    },
    store: {
      getLinks: (c, ids) => opts.store.getLinks(c, ids),
      findLinks: (lookup, limit) => opts.store.findLinks(lookup, limit),
      getDecision: (connection, crmId) => opts.store.getDecision(connection, crmId),
      upsertLink: async () => {},
    },
    locks: { withLocks: (_keys, fn) => fn() },
  };
  try {
    for (const { connection, direction } of opts.targets) {
      if (direction !== 'crm-to-sahut') {
        out.write(`\n${connection.name} ${direction}: dry run covers crm-to-sahut only; skipped\n`);
        continue;
      }
      out.write(`\nDry run of ${connection.name} (${direction}); nothing is written\n`);
      const counts: Record<string, number> = {};
      const cursor = await opts.store.getCursor(connection.name, direction);
      for await (const page of connectors
        .get(connection.name)
        .read(cursor, { pageSize: connection.options.pageSize })) {
        const links = await opts.store.getLinks(
          connection.name,
          page.items.flatMap((i) => (i.ok ? [i.record.id] : [])),
        );
        for (const item of page.items) {
          let outcome: Pick<RecordOutcome, 'action' | 'crmId' | 'sahutId' | 'diff' | 'error'>;
          if (!item.ok) {
            outcome = {
              action: 'rejected',
              crmId: item.rejected.ref,
              sahutId: null,
              diff: null,
              error: item.rejected.reason,
            };
          } else if (item.record.deleted) {
            // Soft-deleted: a run notes it and its removal step applies onCrmDelete (guard permitting).
            const link = links.get(item.record.id);
            outcome = {
              action: link ? 'deleted' : 'unchanged',
              crmId: item.record.id,
              sahutId: link?.sahutId ?? null,
              diff: null,
              error: link
                ? `deleted in the CRM: onCrmDelete ${connection.options.onCrmDelete}, then the link is closed`
                : null,
            };
          } else {
            const prepared = prepareRecord(item.record, connection, config.defaultRegion);
            outcome =
              prepared.kind === 'rejected'
                ? {
                    action: 'rejected',
                    crmId: prepared.crmId,
                    sahutId: null,
                    diff: null,
                    error: prepared.reason,
                  }
                : await syncToSahut(
                    ports,
                    { connection, defaultRegion: config.defaultRegion },
                    prepared,
                    links.get(prepared.crmId),
                  );
          }
          counts[outcome.action] = (counts[outcome.action] ?? 0) + 1;
          if (outcome.action !== 'unchanged') out.write(`${describe(outcome)}\n`);
        }
      }
      out.write(
        `plan: ${
          Object.entries(counts)
            .map(([a, n]) => `${n} ${a}`)
            .join(', ') || 'nothing to do'
        }\n`,
      );
    }
  } finally {
    await connectors.close();
    await sahut.close();
  }
}

function describe(o: Pick<RecordOutcome, 'action' | 'crmId' | 'sahutId' | 'diff' | 'error'>): string {
  const verb =
    { created: 'create', updated: 'update', linked: 'link', unchanged: 'keep', deleted: 'delete' }[
      o.action as string
    ] ?? o.action;
  const target = o.sahutId && !o.sahutId.startsWith('(new') ? ` → ${o.sahutId}` : '';
  const detail = o.error ? `: ${o.error}` : o.diff ? `  ${formatDiff(o.diff)}` : '';
  return `  ${verb.padEnd(9)} crm ${o.crmId}${target}${detail}`;
}

function formatDiff(diff: FieldDiff): string {
  return Object.entries(diff)
    .map(([field, { before, after }]) => `${field}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`)
    .join('; ');
}
