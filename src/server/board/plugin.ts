import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../log/index.ts';
import { errorBody } from '../errors/catalogue.ts';
import { boardErrorHandler } from './errors.ts';
import { BOARD_PATH } from './path.ts';
import { redact } from './redact.ts';

export interface BoardOptions {
  queues: readonly Queue[];
  prefix: string;
  readOnly: boolean;
  redactPii: boolean;
  log: Logger;
}

/** Bull Board at /admin/queues, in the caller's (authenticated) scope. */
export async function registerBoard(scope: FastifyInstance, opts: BoardOptions): Promise<void> {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(BOARD_PATH);
  const redactOpts = { pii: opts.redactPii };
  createBullBoard({
    queues: opts.queues.map((queue) => {
      const board = new BullMQAdapter(queue, {
        readOnlyMode: opts.readOnly,
        description: `Redis prefix ${opts.prefix}`,
      });
      board.setFormatter('data', (data: unknown) => redact(data, redactOpts));
      board.setFormatter('returnValue', (value: unknown) => redact(value, redactOpts));
      return board;
    }),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'sahut-sync' } },
  });
  // Replaces the board's own handler (set by createBullBoard) so its errors use our catalogue.
  adapter.setErrorHandler(boardErrorHandler(opts.log));
  await scope.register(async (board) => {
    if (opts.readOnly) refuseWrites(board);
    await board.register(adapter.registerPlugin(), { prefix: BOARD_PATH });
  });
}

/**
 * Read-only means every request that could change something is refused, not
 * only those the board checks per queue: its "pause all" and "resume all"
 * answer 200 and quietly skip read-only queues. Only reads get through.
 */
function refuseWrites(board: FastifyInstance): void {
  board.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    return reply.code(405).header('allow', 'GET, HEAD').send(errorBody('READ_ONLY'));
  });
}
