import { createHmac, randomInt } from 'node:crypto';
import { request } from 'undici';
import type { ContactEvent } from './contacts.ts';

export interface WebhookSettings {
  /** Where HubSpot would POST: the target URL of the app's subscriptions. */
  url: string;
  /** The app's client secret, the key of the v3 signature. */
  clientSecret: string;
  appId?: number;
  portalId?: number;
  /** Events are gathered this long before a POST (≤ 100 events each). Default 100 ms. */
  batchMs?: number;
  /** Attempts per POST (HubSpot makes up to 10 over a day); default 3. */
  maxAttempts?: number;
  retryDelayMs?: number;
  /** Added to the signing clock: a negative value sends stale timestamps. */
  clockOffsetMs?: number;
}

export interface DeliveryStats {
  posts: number;
  events: number;
  /** Status (or `error`) of each POST attempt. */
  outcomes: Record<string, number>;
}

/**
 * v3 signature: base64 HMAC-SHA256, keyed with the client secret, of
 * method + URI + body + timestamp (HubSpot's request-validation reference).
 */
export function signV3(secret: string, method: string, uri: string, body: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${method}${uri}${body}${timestamp}`, 'utf8').digest('base64');
}

/** Delivers contact events as HubSpot's webhooks do: batched arrays, signed, retried on failure. */
export class WebhookSender {
  #queue: ContactEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight = new Set<Promise<void>>();
  #stats: DeliveryStats = { posts: 0, events: 0, outcomes: {} };
  private readonly settings: WebhookSettings;
  constructor(settings: WebhookSettings) {
    this.settings = settings;
  }

  push(event: ContactEvent): void {
    this.#queue.push(event);
    this.#timer ??= setTimeout(() => this.#send(), this.settings.batchMs ?? 100);
  }

  stats(): DeliveryStats {
    return structuredClone(this.#stats);
  }

  /** Resolves once everything queued so far was delivered or given up. */
  async settle(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#send();
    }
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  close(): Promise<void> {
    return this.settle();
  }

  #send() {
    this.#timer = undefined;
    const events = this.#queue;
    this.#queue = [];
    for (let i = 0; i < events.length; i += 100) {
      const done: Promise<void> = this.#post(events.slice(i, i + 100)).finally(() =>
        this.#inFlight.delete(done),
      );
      this.#inFlight.add(done);
    }
  }

  async #post(events: ContactEvent[]): Promise<void> {
    const max = this.settings.maxAttempts ?? 3;
    for (let attempt = 0; attempt < max; attempt++) {
      const body = JSON.stringify(events.map((e) => this.#payload(e, attempt)));
      const timestamp = String(Date.now() + (this.settings.clockOffsetMs ?? 0));
      let outcome: string;
      try {
        const res = await request(this.settings.url, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            'x-hubspot-signature-v3': signV3(
              this.settings.clientSecret,
              'POST',
              this.settings.url,
              body,
              timestamp,
            ),
            'x-hubspot-request-timestamp': timestamp,
          },
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        await res.body.dump();
        outcome = String(res.statusCode);
      } catch {
        outcome = 'error';
      }
      this.#stats.posts += 1;
      this.#stats.outcomes[outcome] = (this.#stats.outcomes[outcome] ?? 0) + 1;
      if (/^2/.test(outcome)) {
        this.#stats.events += events.length;
        return;
      }
      await new Promise((r) => setTimeout(r, this.settings.retryDelayMs ?? 1000));
    }
  }

  #payload(event: ContactEvent, attemptNumber: number) {
    const { type, objectId, at, ...rest } = event;
    return {
      eventId: randomInt(1, 2 ** 31),
      subscriptionId: 1,
      portalId: this.settings.portalId ?? 1234567,
      appId: this.settings.appId ?? 7654321,
      occurredAt: at,
      subscriptionType: type,
      attemptNumber,
      objectId: Number(objectId) || objectId,
      changeSource: 'CRM_UI',
      ...rest,
      ...('mergedObjectIds' in rest
        ? {
            mergedObjectIds: rest.mergedObjectIds.map((id) => Number(id) || id),
            newObjectId: Number(objectId) || objectId,
          }
        : {}),
    };
  }
}
