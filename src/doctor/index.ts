export { checklist, doctorJson, verdict } from './report.ts';
export { runDoctor } from './run.ts';
export type { Check, Status } from './types.ts';
