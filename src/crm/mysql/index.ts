export { createMysqlConnector, type MysqlConnectorOptions } from './connector.ts';
export { createMysqlPool, DEFAULT_POOL, type MysqlPoolSettings } from './pool.ts';
