import type { Logger } from '../log/index.ts';

/**
 * Where a command's own report goes (a run's summary, a notice such as "already in flight"): to a
 * person as text when the logs are pretty, as log lines when they are JSON (off a terminal), so that
 * stdout then holds JSON lines only, whatever reads it (`| tee run.log`, cron, Docker, `| jq`).
 */
export interface Report {
  readonly human: boolean;
  /** The screen (text written while a bar is shown lands above it). */
  readonly out: { write(text: string): void };
  /** At info whatever LOG_LEVEL says: the report is the command's output. */
  readonly log: Logger;
}

/** One notice: `text` as a line, or the message of an info line with `fields`. */
export function tell(report: Report, text: string, fields: Record<string, unknown> = {}): void {
  if (report.human) report.out.write(`${text}\n`);
  else report.log.info(fields, text);
}
