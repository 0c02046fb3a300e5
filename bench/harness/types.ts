import type { SyncFixture } from './fixture.ts';

/** One measured run of the engine: the columns of a scenario's table. */
export interface Measurement {
  label: string;
  records: number;
  /** From enqueueing the run until waitForRun returned. */
  seconds: number;
  /** The run's own time in the store (started → finished): the rest of `seconds` was spent waiting to learn it ended. */
  runSeconds: number;
  /** Every request Sahut received, retries and 429s included. */
  apiCalls: number;
  /** Requests answered 429 by the sandbox's rate limit. */
  rejected429: number;
  /** Sahut's enforced limit, requests per second. */
  rate: number;
  peakRssMb: number;
  /** Requests per route template, e.g. `{ 'PUT /contacts/:id': 200 }`. */
  byRoute: Record<string, number>;
}

/** One target of the performance model, judged on what a scenario measured. */
export interface Check {
  target: string;
  pass: boolean;
  detail: string;
}

export interface ScenarioResult {
  rows: Measurement[];
  checks: Check[];
  /** Extra lines printed under the table (e.g. RSS per 1k records). */
  notes: string[];
}

export interface BenchOptions {
  records: number;
  rate: number;
  concurrency: number;
}

export interface Scenario {
  name: string;
  /** What it measures, one line. */
  summary: string;
  run(opts: BenchOptions, shared: SharedState): Promise<ScenarioResult>;
}

/**
 * Scenarios that continue where another left off (unchanged and changed after
 * initial) share one fixture, opened on first use; the runner closes it.
 */
export interface SharedState {
  fixture(): Promise<SyncFixture>;
}
