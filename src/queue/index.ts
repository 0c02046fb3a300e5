export {
  checkRedis,
  createRedis,
  deleteKeys,
  type RedisClient,
  RedisSetupError,
  redactUrl,
} from '../redis/index.ts';
export { QUEUES, type RecordJob, type RunJob } from './jobs.ts';
export { dailyRecorder, readDailyLimits } from './limits/crm-limits.ts';
export { createRedisLocks, LockTimeoutError } from './limits/locks.ts';
export { createRedisRateLimiter, type RateLimiter } from './limits/rate-limit.ts';
export {
  createRedisWindowLimiter,
  type RedisWindowLimiterOptions,
  type Release,
  type WindowLimiter,
} from './limits/window-limit.ts';
export { GUARD_NOTE } from './removals/index.ts';
export { type ChangeRunOptions, createChangeRuns } from './runs/change-runs.ts';
export { type Replay, type ReplayResult, replayFailed } from './runs/replay.ts';
export { notifyRunFailure, onRunJobFailed, type RunFailure } from './runs/run-failed.ts';
export type { RunSummary } from './runs/run-processor.ts';
export {
  enqueueChangeRun,
  enqueueRun,
  findRunInFlight,
  RunNeverStartedError,
  type RunQueue,
  waitForRun,
} from './runs/runs.ts';
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';
export { type ScanPass, scanPass } from './scan/scan-pass.ts';
export { type ScheduleChanges, schedulerId, syncSchedules } from './scheduler.ts';
export { startWorkers, type WorkerOptions, type Workers } from './workers.ts';
