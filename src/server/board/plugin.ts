import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../log/index.ts';
import { maskText } from '../../pii/index.ts';
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
      board.setFormatter('progress', (value: unknown) => redact(value, redactOpts));
      return board;
    }),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'sahut-sync' } },
  });
  // Replaces the board's own handler (set by createBullBoard) so its errors use our catalogue.
  adapter.setErrorHandler(boardErrorHandler(opts.log));
  await scope.register(async (board) => {
    if (opts.readOnly) refuseWrites(board);
    if (opts.redactPii) maskFailureTexts(board);
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

/**
 * Where the board shows text the formatters never see: a job's failed reason
 * and stack trace ("ambiguous: phone +62813… matches …"), its logs, and the
 * failures of a run's ignored children in the flow view. The logs route
 * answers a bare list of lines: all of it is text.
 */
const FAILURE_TEXT_KEYS = new Set([
  'failedReason',
  'stacktrace',
  'deferredFailure',
  'logs',
  'ignoredChildFailureReasons',
]);

function maskFailureTexts(board: FastifyInstance): void {
  board.addHook('preSerialization', async (request, _reply, payload) =>
    maskUnder(payload, request.routeOptions.url?.endsWith('/logs') === true, 0),
  );
}

function maskUnder(value: unknown, inText: boolean, depth: number): unknown {
  if (typeof value === 'string') return inText ? maskText(value) : value;
  if (value === null || typeof value !== 'object' || depth > 20) return value;
  if (Array.isArray(value)) return value.map((item) => maskUnder(item, inText, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, maskUnder(v, inText || FAILURE_TEXT_KEYS.has(k), depth + 1)]),
  );
}
