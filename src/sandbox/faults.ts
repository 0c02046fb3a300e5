import { z } from 'zod';
import { seeded } from './seeded.ts';

const status = z.number().int().min(400).max(599);

/**
 * What a faulted request gets. A bare number is a status answered without running
 * the handler; `reset` destroys the socket without answering; `commit-then-drop`
 * runs the handler (the write happens) and then destroys the socket instead of
 * answering; `pass` lets a script skip one request; `empty-list` answers a list request
 * with no contacts and a total of 0 (a token that lost its permissions, a broken search).
 */
export const faultActionSchema = z.union([
  z.literal('pass'),
  z.literal('reset'),
  z.literal('commit-then-drop'),
  z.literal('empty-list'),
  status,
  z.object({ status, retryAfterSec: z.number().int().nonnegative().optional() }),
  z.object({ delayMs: z.number().int().nonnegative() }),
]);
export type FaultAction = z.infer<typeof faultActionSchema>;

/** Route template as counted, e.g. `POST /contacts` or `GET /contacts/:id`; omitted = every route. */
const route = z.string().optional();
const times = z.number().int().positive().optional();

export const faultRuleSchema = z.union([
  /** Consumed in order, one action per matching request; the rule is spent once the list is empty. */
  z.object({ route, script: z.array(faultActionSchema) }),
  /** The `every`-th, 2×`every`-th … matching request gets `action` (at most `times` times). */
  z.object({ route, every: z.number().int().positive(), action: faultActionSchema, times }),
  /** A seeded share of matching requests gets `action`: deterministic for a given seed and request order. */
  z.object({
    route,
    share: z.number().min(0).max(1),
    seed: z.number().int().default(1),
    action: faultActionSchema,
    times,
  }),
]);
export type FaultRule = z.input<typeof faultRuleSchema>;

export const faultConfigSchema = z.object({
  /** Token bucket for the whole server: `requests` per `windowMs`, refilled continuously; beyond → 429 + Retry-After. */
  rateLimit: z.object({ requests: z.number().positive(), windowMs: z.number().positive() }).optional(),
  /** Added to every request before it is handled. */
  latencyMs: z.number().int().nonnegative().optional(),
  /** Tried in order; the first rule that fires decides. */
  rules: z.array(faultRuleSchema).default([]),
});
export type FaultConfig = z.input<typeof faultConfigSchema>;

export type FaultOutcome =
  | { kind: 'none' }
  | { kind: 'status'; status: number; retryAfterSec?: number }
  | { kind: 'reset' }
  | { kind: 'commit-then-drop' }
  | { kind: 'empty-list' };

export interface FaultDecision {
  delayMs: number;
  outcome: FaultOutcome;
}

type ParsedRule = z.output<typeof faultRuleSchema>;
interface RuleState {
  rule: ParsedRule;
  matched: number;
  fired: number;
  random: () => number;
}

/**
 * The declarative fault schedule, consulted once per request by the fault hook.
 * Order: the rate limit (a gateway refuses before the app), then the rules.
 */
export class FaultSchedule {
  readonly #latencyMs: number;
  readonly #rules: RuleState[];
  readonly #bucket: { capacity: number; perMs: number; tokens: number; at: number } | undefined;

  constructor(config: FaultConfig = {}, now: number = performance.now()) {
    const parsed = faultConfigSchema.parse(config);
    this.#latencyMs = parsed.latencyMs ?? 0;
    this.#rules = parsed.rules.map((rule) => ({
      rule,
      matched: 0,
      fired: 0,
      random: seeded('seed' in rule ? rule.seed : 1),
    }));
    const rl = parsed.rateLimit;
    this.#bucket = rl && {
      capacity: rl.requests,
      perMs: rl.requests / rl.windowMs,
      tokens: rl.requests,
      at: now,
    };
  }

  decide(route: string, now: number = performance.now()): FaultDecision {
    const limited = this.#rateLimit(now);
    if (limited) return { delayMs: this.#latencyMs, outcome: limited };
    for (const state of this.#rules) {
      if (state.rule.route !== undefined && state.rule.route !== route) continue;
      const action = this.#fire(state);
      if (action === undefined || action === 'pass') continue;
      if (typeof action === 'object' && 'delayMs' in action) {
        return { delayMs: this.#latencyMs + action.delayMs, outcome: { kind: 'none' } };
      }
      return { delayMs: this.#latencyMs, outcome: toOutcome(action) };
    }
    return { delayMs: this.#latencyMs, outcome: { kind: 'none' } };
  }

  #rateLimit(now: number): FaultOutcome | undefined {
    const b = this.#bucket;
    if (!b) return undefined;
    b.tokens = Math.min(b.capacity, b.tokens + (now - b.at) * b.perMs);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    const waitMs = (1 - b.tokens) / b.perMs;
    return { kind: 'status', status: 429, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  #fire(state: RuleState): FaultAction | undefined {
    const { rule } = state;
    state.matched++;
    if ('script' in rule) return rule.script[state.matched - 1];
    if (rule.times !== undefined && state.fired >= rule.times) return undefined;
    const hit = 'every' in rule ? state.matched % rule.every === 0 : state.random() < rule.share;
    if (!hit) return undefined;
    state.fired++;
    return rule.action;
  }
}

function toOutcome(action: Exclude<FaultAction, 'pass' | { delayMs: number }>): FaultOutcome {
  if (action === 'reset') return { kind: 'reset' };
  if (action === 'commit-then-drop') return { kind: 'commit-then-drop' };
  if (action === 'empty-list') return { kind: 'empty-list' };
  if (typeof action === 'number') return { kind: 'status', status: action };
  return { kind: 'status', ...action };
}
