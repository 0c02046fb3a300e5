import type { FastifyReply } from 'fastify';
import { seeded } from '../sandbox/index.ts';
import { hubspotError } from './errors.ts';

export interface FaultSettings {
  /** Seeded share (0–1) of admitted requests answered with a 5xx instead of being handled. */
  errorShare?: number;
  errorStatus?: 500 | 502 | 503 | 504;
  seed?: number;
}

export class Faults {
  #next: () => number;
  private readonly settings: FaultSettings;
  constructor(settings: FaultSettings = {}) {
    this.settings = settings;
    this.#next = seeded(settings.seed ?? 1);
  }

  /** Answers the request with a fault, or returns false to let it through. */
  async apply(reply: FastifyReply): Promise<boolean> {
    const share = this.settings.errorShare ?? 0;
    if (share <= 0 || this.#next() >= share) return false;
    await reply.code(this.settings.errorStatus ?? 502).send(hubspotError('INTERNAL_ERROR', 'internal error'));
    return true;
  }
}
