import type { FastifyReply } from 'fastify';
import { hubspotError } from './errors.ts';

export interface FaultSettings {
  /** Seeded share (0–1) of admitted requests answered with a 5xx instead of being handled. */
  errorShare?: number;
  errorStatus?: 500 | 502 | 503 | 504;
  seed?: number;
}

/** mulberry32: a small seeded generator, so a fault pattern repeats for a given seed and request order. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  #next: () => number;
  private readonly settings: FaultSettings;
  constructor(settings: FaultSettings = {}) {
    this.settings = settings;
    this.#next = random(settings.seed ?? 1);
  }

  /** Answers the request with a fault, or returns false to let it through. */
  async apply(reply: FastifyReply): Promise<boolean> {
    const share = this.settings.errorShare ?? 0;
    if (share <= 0 || this.#next() >= share) return false;
    await reply.code(this.settings.errorStatus ?? 502).send(hubspotError('INTERNAL_ERROR', 'internal error'));
    return true;
  }
}
