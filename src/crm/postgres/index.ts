export { createPostgresConnector, type PostgresConnectorOptions } from './connector.ts';
