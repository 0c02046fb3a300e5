/**
 * Preloaded (`node --import bench/harness/usage.ts …`) into every process the
 * bench spawns: when the process exits, it writes its lifetime CPU time and peak
 * RSS to $BENCH_USAGE_FILE, since /proc forgets a process the moment it ends.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({ userUs: u.userCPUTime, systemUs: u.systemCPUTime, maxRssKb: u.maxRSS }),
    );
  });
}
