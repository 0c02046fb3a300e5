import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../redis/index.ts';
import type { Store } from '../../store/index.ts';
import { redisCheck, storeCheck } from './checks.ts';
import { monitorLag } from './event-loop.ts';
import { healthzRoute } from './healthz.ts';
import { readyzRoute } from './readyz.ts';

/** /healthz and /readyz, outside authentication (probes carry no credentials). */
export async function registerHealth(
  app: FastifyInstance,
  deps: { redis: RedisClient; store: Store; config: { redis: { prefix: string } } },
): Promise<void> {
  const lag = monitorLag();
  const redis = redisCheck(deps.redis, deps.config.redis.prefix);
  app.addHook('onClose', async () => {
    lag.stop();
    redis.detach();
  });
  app.route(healthzRoute(lag));
  app.route(readyzRoute({ redis: redis.check, store: storeCheck(deps.store) }));
}
