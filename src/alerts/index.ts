export { MAX_LISTED, type WebhookFormat, webhookBody } from './body.ts';
export type { AlertEvent, AttentionEvent, AttentionKind, AttentionRecord, RunFailedEvent } from './events.ts';
export { createNotifier, type Notifier, type NotifierOptions } from './notifier.ts';
