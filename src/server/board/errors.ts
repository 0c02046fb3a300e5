import type { ControllerHandlerReturnType, HTTPStatus } from '@bull-board/api/typings/app';
import type { Logger } from '../../log/index.ts';
import { logError, toErrorBody } from '../errors/handler.ts';
import { BOARD_PATH } from './path.ts';

const BOARD_STATUSES = new Set<number>([400, 403, 404, 405, 409, 500] satisfies HTTPStatus[]);

/**
 * Errors of the board's own routes, in the body shape its UI reads (a
 * translation key as `error`), with our code and message and never a stack
 * (the board's default handler adds one when NODE_ENV=development).
 */
export function boardErrorHandler(log: Logger) {
  return (err: Error): ControllerHandlerReturnType => {
    const body = toErrorBody(err);
    logError(log, err, body, BOARD_PATH);
    const status = (BOARD_STATUSES.has(body.statusCode) ? body.statusCode : 500) as HTTPStatus;
    return {
      status,
      body: { error: 'ERRORS.INTERNAL_SERVER_ERROR', code: body.code, message: body.message },
    };
  };
}
