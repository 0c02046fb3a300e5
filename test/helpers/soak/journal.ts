import type { FastifyRequest } from 'fastify';
import { BASE_PATH, type Sandbox } from '../../../src/sandbox/index.ts';
import type { WindowOverwrite } from './edits.ts';

/** Header of the editor's agents (the edit's number on a PUT): every other request is the sync's. */
export const AGENT_HEADER = 'x-soak-agent';

/** A write of the sync as Sahut received it: when, which contact (none for a POST), the fields sent. */
export interface SyncWrite {
  at: number;
  contactId: string | null;
  body: Record<string, unknown>;
}

export interface Journal {
  /** Sync `PUT`s that followed an agent's `PUT` of the same contact made after the sync's `GET` of it. */
  overwrites: WindowOverwrite[];
  writes: SyncWrite[];
  /** The sync's requests per route (`PUT /contacts/:id`) that arrived at or after `since`. */
  syncCounts(since: number): Record<string, number>;
  /** The contacts of the sync's `GET /contacts/:id` that arrived at or after `since`, one per request. */
  syncGets(since: number): string[];
  /**
   * Runs an agent's GET → PUT of a contact with the sync's `PUT`s of it held until the agent's ends:
   * a person's edit in a UI is one act, never the cause of a lost sync write.
   */
  asAgent<T>(contactId: string, edit: () => Promise<T>): Promise<T>;
}

/**
 * Hooks on the sandbox (added before it listens, after its fault hook, so a request they see is
 * one the handler serves next): a sequence number at each handler tells, per contact, whether an
 * agent's PUT landed between the sync's last GET of the contact and the sync's PUT of it.
 */
export function installJournal(sandbox: Sandbox): Journal {
  let seq = 0;
  const lastSyncRead = new Map<string, number>();
  const agentPuts = new Map<string, { seq: number; editSeq: number }[]>();
  const editing = new Map<string, Promise<unknown>>();
  const arrivals: { at: number; route: string; id: string | null }[] = [];
  const journal: Journal = {
    overwrites: [],
    writes: [],
    syncCounts(since) {
      const counts: Record<string, number> = {};
      for (const a of arrivals) if (a.at >= since) counts[a.route] = (counts[a.route] ?? 0) + 1;
      return counts;
    },
    syncGets(since) {
      return arrivals.flatMap((a) =>
        a.at >= since && a.route === 'GET /contacts/:id' && a.id ? [a.id] : [],
      );
    },
    async asAgent(contactId, edit) {
      while (editing.has(contactId)) await editing.get(contactId)?.catch(() => {});
      const running = edit();
      editing.set(contactId, running);
      try {
        return await running;
      } finally {
        editing.delete(contactId);
      }
    },
  };
  sandbox.app.addHook('onRequest', async (request) => {
    if (request.headers[AGENT_HEADER] === undefined)
      arrivals.push({
        at: Date.now(),
        route: routeOf(request),
        id: (request.params as { id?: string } | undefined)?.id ?? null,
      });
  });
  sandbox.app.addHook('preHandler', async (request) => {
    const id = (request.params as { id?: string } | undefined)?.id ?? null;
    const agent = request.headers[AGENT_HEADER];
    const route = routeOf(request);
    if (agent !== undefined) {
      if (route === 'PUT /contacts/:id' && id)
        agentPuts.set(id, [...(agentPuts.get(id) ?? []), { seq: ++seq, editSeq: Number(agent) }]);
      return;
    }
    if (route === 'GET /contacts/:id' && id) lastSyncRead.set(id, ++seq);
    if (route === 'POST /contacts')
      journal.writes.push({ at: Date.now(), contactId: null, body: flat(request.body) });
    if (route !== 'PUT /contacts/:id' || !id) return;
    while (editing.has(id)) await editing.get(id)?.catch(() => {});
    const body = flat(request.body);
    const read = lastSyncRead.get(id) ?? 0;
    for (const put of agentPuts.get(id) ?? [])
      if (put.seq > read) journal.overwrites.push({ editSeq: put.editSeq, body });
    seq++;
    journal.writes.push({ at: Date.now(), contactId: id, body });
  });
  return journal;
}

function routeOf(request: FastifyRequest): string {
  const url = request.routeOptions.url ?? '';
  return `${request.method} ${url.startsWith(BASE_PATH) ? url.slice(BASE_PATH.length) : url}`;
}

/** A contact body with its custom attributes as `custom_attributes.<key>`, the form edits name fields in. */
function flat(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object') return {};
  const { custom_attributes: attrs, ...rest } = body as Record<string, unknown>;
  const out: Record<string, unknown> = { ...rest };
  if (attrs && typeof attrs === 'object')
    for (const [key, value] of Object.entries(attrs)) out[`custom_attributes.${key}`] = value;
  return out;
}
