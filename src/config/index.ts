export {
  type Connection,
  connectionsFileSchema,
  findConnection,
  loadConnections,
  type SyncOptions,
  syncOptionsSchema,
} from './connections.ts';
export { type CreateInCrm, createInCrmSchema } from './create-in-crm.ts';
export { ENV_KEYS, type Env, envSchema } from './env.ts';
export { ConfigError } from './errors.ts';
export { referencedValues } from './expand-env.ts';
export { type Config, loadConfig, requireSahutKey, secretsOf } from './load.ts';
export { type HostPort, hashTagOf, type RedisSettings } from './redis.ts';
