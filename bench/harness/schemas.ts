import { z } from 'zod';
import type { Measurement } from './types.ts';

/** A measurement as a child process sends it over IPC. */
export const measurementSchema = z.object({
  label: z.string(),
  records: z.number(),
  seconds: z.number(),
  runSeconds: z.number().nullable(),
  apiCalls: z.number(),
  byKind: z.object({
    search: z.number(),
    list: z.number(),
    get: z.number(),
    post: z.number(),
    put: z.number(),
  }),
  byRoute: z.record(z.string(), z.number()),
  rejected429: z.number(),
  rate: z.number().nullable(),
  cpuMsPerRecord: z.number(),
  peakRssMb: z.number(),
  processes: z.array(
    z.object({
      name: z.string(),
      role: z.enum(['engine', 'service', 'naive', 'sahut']),
      cpuMs: z.number(),
      peakRssMb: z.number().nullable(),
    }),
  ),
  load: z.number(),
}) satisfies z.ZodType<Measurement>;
