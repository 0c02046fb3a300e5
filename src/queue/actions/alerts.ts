import type { Notifier } from '../../alerts/index.ts';
import type { NewAttention, Store } from '../../store/types.ts';

/**
 * The store every processor of a worker uses, telling the alert webhook when
 * an append put records into the attention listing: one notification per
 * batch of rows and run (a triage page, a record job, a closed window).
 */
export function withAttentionAlerts(store: Store, alerts: Pick<Notifier, 'notify'>): Store {
  return {
    ...store,
    async appendAudit(entries) {
      const added = await store.appendAudit(entries);
      for (const group of Map.groupBy(
        added,
        (a) => `${a.connection}\u0000${a.direction}\u0000${a.runId}`,
      ).values())
        void alerts.notify(attentionEvent(group));
      return added;
    },
  };
}

function attentionEvent(added: readonly NewAttention[]) {
  const { connection, direction, runId } = added[0] as NewAttention;
  return {
    kind: 'attention' as const,
    connection,
    direction,
    runId,
    records: added.map(({ kind, crmId, sahutId, reason }) => ({ kind, crmId, sahutId, reason })),
  };
}
