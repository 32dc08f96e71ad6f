/**
 * The kinds of event a watch may ask for (Admin.Watch `kinds`, `gov events --kind`): the master refuses
 * any other, and the CLI refuses it before connecting. snapshot and notice events always come.
 */
export const WATCH_KINDS = [
  'instance',
  'health',
  'execution',
  'rollout',
  'agent',
  'policy',
  'metrics',
] as const;
export type WatchKind = (typeof WATCH_KINDS)[number];
