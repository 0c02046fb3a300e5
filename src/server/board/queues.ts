import { Queue } from 'bullmq';
import type { Logger } from '../../log/index.ts';
import { QUEUES } from '../../queue/index.ts';
import type { RedisClient } from '../../redis/index.ts';

export interface DeploymentQueues {
  readonly list: readonly Queue[];
  /** The queue of this name (one of QUEUES). */
  get(name: string): Queue;
  close(): Promise<void>;
}

const CLOSE_TIMEOUT_MS = 2_000;

/**
 * Read handles on every queue of the deployment, sharing the server's Redis
 * connection (BullMQ leaves a shared connection open on close).
 */
export function openQueues(redis: RedisClient, prefix: string, log: Logger): DeploymentQueues {
  const list = Object.values(QUEUES).map((name) => {
    const queue = new Queue(name, { connection: redis, prefix });
    queue.on('error', (err) => log.warn({ err: err.message, queue: name }, 'queue connection error'));
    return queue;
  });
  return {
    list,
    get: (name) => {
      const queue = list.find((q) => q.name === name);
      if (!queue) throw new RangeError(`no queue ${name} in this deployment`);
      return queue;
    },
    // close() waits for Redis; with Redis gone it would hold shutdown forever.
    close: async () => {
      await Promise.all(
        list.map((q) =>
          Promise.race([q.close(), new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]),
        ),
      );
    },
  };
}
