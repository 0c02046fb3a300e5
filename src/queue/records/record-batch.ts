import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sahutContactSchema } from '../../sahut/index.ts';
import type { Decision, IndexedContact, Link, LinkLookup } from '../../store/types.ts';
import type { ApplyPorts, IdentityLocks } from '../../sync/apply/ports.ts';
import { acquireGroups, LockTimeoutError, lockKey, releaseLocks, renewLocks } from '../limits/locks.ts';
import type { Runtime } from '../runtime.ts';
import { indexRow } from '../scan/sahut-index.ts';
import { createClaims } from './claims.ts';
import { coalesce } from './coalesce.ts';

type RecordPorts = Pick<ApplyPorts, 'store' | 'locks' | 'claims' | 'index'>;

export interface RecordBatch {
  /** One record's ports: its reads gathered with the other records', its writes kept for the batch. */
  portsFor(crmId: string): RecordPorts;
  /** The record's attempt ended; in a contended batch its writes are saved and its claims and locks let go now. */
  finish(crmId: string): Promise<void>;
  /**
   * Saves what is left to save, then lets go of every claim and lock. Returns the records whose
   * writes could not be saved, with the error: their attempts failed.
   */
  flush(): Promise<Map<string, unknown>>;
}

interface Held {
  links: Link[];
  indexed: IndexedContact[];
  locks: string[];
  finished: boolean;
}

/**
 * The store and Redis work of a record job's records, done per batch instead
 * of per record: the identity locks taken in one Redis call, the links read
 * again under them in one query, the scan index asked in one query, the claims
 * taken in one transaction, and what the records wrote (links, created contacts
 * for the index) saved in one statement. The batch's records share no identity
 * (the caller puts those that do in later batches), so they never wait for
 * each other.
 *
 * Locks and claims are let go only after the links are saved, so whoever takes
 * them next reads those links: until the batch flushes, a record that finished
 * keeps its locks. That must not keep another job waiting on a lock this batch
 * holds while this batch waits on that job: once any record of the batch finds
 * an identity busy, the batch is contended, and each record saves and lets go
 * as soon as it finishes, as it would on its own.
 */
export function createRecordBatch(
  rt: Runtime,
  connection: string,
  decisions: ReadonlyMap<string, Decision>,
): RecordBatch {
  const { lockMs } = rt.config.worker;
  const prefix = rt.config.redis.prefix;
  const region = rt.config.defaultRegion;
  // As the Redis locks of one record: a crashed holder's expire soon after its job locks.
  const lockTtl = 2 * lockMs;
  const lockWait = 4 * lockMs;
  const token = randomUUID();
  const held = new Map<string, Held>();
  const failed = new Map<string, unknown>();
  const saving: Promise<void>[] = [];
  let contended = false;
  let renew: NodeJS.Timeout | undefined;

  const claims = createClaims(rt.store, { connection, lockMs, token, onBusy: () => contend() });
  const acquire = coalesce((groups: string[][]) => acquireGroups(rt.redis, groups, token, lockTtl));
  const readLink = coalesce(async (ids: string[]) => {
    const found = await rt.store.getLinks(connection, ids);
    return ids.map((id) => found.get(id));
  });
  const findIndexed = coalesce((identities: { phone: string | null; email: string | null }[]) =>
    rt.store.findIndexedBatch(identities),
  );

  const of = (crmId: string): Held => {
    let h = held.get(crmId);
    if (!h) {
      h = { links: [], indexed: [], locks: [], finished: false };
      held.set(crmId, h);
    }
    return h;
  };

  async function save(crmIds: readonly string[]) {
    const hs = crmIds.flatMap((id) => {
      const h = held.get(id);
      held.delete(id);
      return h ? [{ id, ...h }] : [];
    });
    const links = hs.flatMap((h) => h.links);
    const indexed = hs.flatMap((h) => h.indexed);
    try {
      await rt.store.saveRecordWrites({ links, indexed, seenAt: new Date() });
    } catch (err) {
      for (const h of hs) if (h.links.length || h.indexed.length) failed.set(h.id, err);
    }
    // On a failed save they go too: those attempts failed, and the next attempt searches Sahut.
    const locks = hs.flatMap((h) => h.locks);
    await Promise.all([
      claims.release(crmIds),
      locks.length ? releaseLocks(rt.redis, locks, token).catch(() => {}) : undefined,
    ]);
    if (![...held.values()].some((h) => h.locks.length)) {
      clearInterval(renew);
      renew = undefined;
    }
  }

  function contend() {
    if (contended) return;
    contended = true;
    const done = [...held].filter(([, h]) => h.finished).map(([id]) => id);
    if (done.length) saving.push(save(done));
  }

  const locksFor = (h: Held): IdentityLocks => ({
    async withLocks(keys, fn, signal) {
      if (keys.length === 0) return fn();
      const redisKeys = [...new Set(keys)].sort().map((k) => lockKey(prefix, k));
      const deadline = Date.now() + lockWait;
      for (let delay = 5; !(await acquire(redisKeys)); delay = Math.min(delay * 2, 200)) {
        contend();
        if (Date.now() > deadline)
          throw new LockTimeoutError(`identity busy for ${lockWait} ms: ${keys.join(', ')}`);
        signal?.throwIfAborted();
        await sleep(delay);
      }
      h.locks.push(...redisKeys);
      renew ??= setInterval(() => {
        const all = [...held.values()].flatMap((x) => x.locks);
        if (all.length) renewLocks(rt.redis, all, token, lockTtl).catch(() => {});
      }, lockTtl / 3);
      return fn();
    },
  });

  return {
    portsFor(crmId) {
      const h = of(crmId);
      return {
        locks: locksFor(h),
        claims,
        store: {
          getLinks: async (name, ids) => {
            if (name !== connection) return rt.store.getLinks(name, ids);
            const found = await Promise.all(ids.map((id) => readLink(id)));
            return new Map(found.flatMap((link) => (link ? [[link.crmId, link] as const] : [])));
          },
          upsertLink: async (link) => {
            h.links.push(link);
          },
          findLinks: async (lookup, limit) =>
            withStaged(await rt.store.findLinks(lookup, limit), lookup, limit),
          getDecision: async (_name, id) => decisions.get(id) ?? null,
        },
        index: {
          async find(identity) {
            return (await findIndexed(identity)).flatMap((raw) => {
              const parsed = sahutContactSchema.safeParse(raw);
              return parsed.success ? [parsed.data] : [];
            });
          },
          async add(contact) {
            h.indexed.push(indexRow(contact, region));
          },
        },
      };
    },
    async finish(crmId) {
      const h = held.get(crmId);
      if (!h) return;
      h.finished = true;
      if (!contended) return;
      const saved = save([crmId]);
      saving.push(saved);
      await saved;
    },
    async flush() {
      await Promise.all(saving);
      if (held.size) await save([...held.keys()]);
      return failed;
    },
  };

  /** What the store answers, with the links this batch wrote and has not saved yet (read your writes). */
  function withStaged(stored: Link[], lookup: LinkLookup, limit: number | undefined): Link[] {
    const staged = [...held.values()].flatMap((h) => h.links).filter((l) => matches(l, lookup));
    if (staged.length === 0) return stored;
    const byId = new Map(stored.map((l) => [`${l.connection}\u0000${l.crmId}`, l]));
    for (const l of staged) byId.set(`${l.connection}\u0000${l.crmId}`, l);
    const all = [...byId.values()].sort(
      (a, b) => a.connection.localeCompare(b.connection) || a.crmId.localeCompare(b.crmId),
    );
    return limit === undefined ? all : all.slice(0, limit);
  }
}

function matches(link: Link, q: LinkLookup): boolean {
  if (q.connection !== undefined && link.connection !== q.connection) return false;
  return (
    (q.crmId !== undefined && link.crmId === q.crmId) ||
    (q.sahutId !== undefined && link.sahutId === q.sahutId) ||
    (q.phone !== undefined && link.phone === q.phone) ||
    (q.email !== undefined && link.email === q.email)
  );
}
