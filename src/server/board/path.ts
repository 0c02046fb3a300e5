/** Where Bull Board is mounted; its base path and the Fastify prefix must match or its assets 404. */
export const BOARD_PATH = '/admin/queues';
