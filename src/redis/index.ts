export {
  checkRedis,
  evicts,
  inspectRedis,
  type RedisFacts,
  type RedisNodeFacts,
  RedisSetupError,
  setupProblems,
} from './check.ts';
export { createRedis, describeRedis, type RedisClient, type RedisRole, redactUrl } from './client.ts';
export { deleteKeys } from './keys.ts';
export { type LuaScript, luaScript } from './script.ts';
