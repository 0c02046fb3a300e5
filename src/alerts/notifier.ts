import type { Logger } from '../log/index.ts';
import { type WebhookFormat, webhookBody } from './body.ts';
import { DEFAULT_RETRY, deliver, type RetryOptions } from './deliver.ts';
import type { AlertEvent } from './events.ts';

export interface NotifierOptions {
  /** ALERT_WEBHOOK_URL; without it every notification is dropped (nothing is configured). */
  url: string | undefined;
  format: WebhookFormat;
  /** Values taken out of every text sent (the configured secrets). */
  secrets: readonly string[];
  log: Logger;
  retry?: Partial<RetryOptions>;
}

export interface Notifier {
  /**
   * Sends one notification for `event`, in the background: the promise
   * settles when the receiver took it or the retries ran out, and never
   * rejects, so a caller may await it or leave it.
   */
  notify(event: AlertEvent): Promise<void>;
  /** Waits for the notifications in flight, up to `graceMs`, then gives up on them. */
  close(graceMs?: number): Promise<void>;
}

const CLOSE_GRACE_MS = 5_000;

export function createNotifier(opts: NotifierOptions): Notifier {
  const { url, log } = opts;
  if (!url) return { notify: async () => {}, close: async () => {} };
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  const stop = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const send = async (event: AlertEvent) => {
    const body = webhookBody(event, opts.format, opts.secrets);
    const result = await deliver(url, body, retry, stop.signal);
    // The URL is a credential (a Slack webhook carries its token in the path): never logged.
    const fields = { event: event.kind, connection: event.connection, tries: result.tries };
    if (result.ok) log.info(fields, 'alert webhook notified');
    else log.warn({ ...fields, reason: result.reason }, 'alert webhook not notified');
  };

  return {
    notify(event) {
      const p = send(event).catch((err: unknown) => log.error({ err }, 'alert webhook failed'));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      return p;
    },
    async close(graceMs = CLOSE_GRACE_MS) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.all(inFlight), timeout]);
      clearTimeout(timer);
      stop.abort();
      await Promise.all(inFlight);
    },
  };
}
