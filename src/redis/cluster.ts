import { Cluster, type ClusterNode } from 'ioredis';

export type DiscoveringClusterOptions = NonNullable<ConstructorParameters<typeof Cluster<'legacy'>>[1]>;
type DuplicateOptions = Parameters<Cluster['duplicate']>[1];
/** What `Cluster#duplicate` returns for these options (a reply mapping may come with them). */
type Duplicate<O extends DuplicateOptions> = ReturnType<typeof Cluster.prototype.duplicate<O>>;

/** `host:port` keys (as the slot table holds them, IPv6 hosts unbracketed) → seeds, the given ones first, no repeats. */
export function seedsFrom(given: readonly ClusterNode[], slots: readonly (readonly string[] | undefined)[]) {
  const seeds = new Map<string, ClusterNode>();
  for (const node of given)
    seeds.set(typeof node === 'object' ? `${node.host}:${node.port}` : String(node), node);
  for (const nodes of slots) {
    for (const key of nodes ?? []) {
      const at = key.lastIndexOf(':');
      if (at > 0 && !seeds.has(key))
        seeds.set(key, { host: key.slice(0, at), port: Number(key.slice(at + 1)) });
    }
  }
  return [...seeds.values()];
}

/**
 * A Cluster that (re)connects through every node it has seen, not only the
 * seeds it was given. ioredis reads its startup nodes on every connect: after
 * a reconnect (its own, or BullMQ's when a blocking connection's node pool
 * empties) and in every duplicate (BullMQ's blocking readers), a client given
 * one seed would otherwise ask only that seed for the topology, for ever once
 * it died, though its replica took over. The slot table holds the topology of
 * the last refresh: every primary and replica serving a slot.
 */
export class DiscoveringCluster extends Cluster {
  /** What REDIS_CLUSTER_NODES named; unset while the base constructor runs (its connect uses `seeds` as is). */
  private readonly given: readonly ClusterNode[];

  constructor(
    seeds: ClusterNode[],
    options: DiscoveringClusterOptions,
    given: readonly ClusterNode[] = seeds,
  ) {
    super(seeds, options);
    this.given = given;
  }

  override connect(): Promise<void> {
    // ioredis documents replacing `startupNodes` between connects (README, clusterRetryStrategy).
    if (this.given && this.slots.length > 0)
      Object.assign(this, { startupNodes: seedsFrom(this.given, this.slots) });
    return super.connect();
  }

  override duplicate<O extends DuplicateOptions = undefined>(
    seeds: ClusterNode[] = [],
    options?: O,
  ): Duplicate<O> {
    const own = seeds.length === 0;
    const copy = new DiscoveringCluster(
      own ? seedsFrom(this.given, this.slots) : seeds,
      {
        ...this.options,
        ...options,
        redisOptions: { ...this.options.redisOptions, ...options?.redisOptions },
      } as DiscoveringClusterOptions,
      own ? this.given : seeds,
    );
    // Only the reply mapping differs between the two types: the copy has the options asked for.
    return copy as unknown as Duplicate<O>;
  }
}
