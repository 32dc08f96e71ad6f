/**
 * The current state a watcher starts from: agents, instances (narrowed by its filter), rollouts not finished
 * and the newest finished ones, sent in parts of bounded size (`more` on all but the last). Each part
 * carries the newest kept index at the time it was built: resuming from it misses nothing.
 */
import type { AgentInfo } from '../../proto/generated/governor/v1/AgentInfo.js';
import type { InstanceInfo } from '../../proto/generated/governor/v1/InstanceInfo.js';
import type { Rollout } from '../../proto/generated/governor/v1/Rollout.js';
import type { WatchEvent } from '../../proto/generated/governor/v1/WatchEvent.js';
import { toRolloutProto } from '../rollout/create.js';
import { TERMINAL_STATES, type RolloutRecord } from '../rollout/types.js';
import type { InstanceView } from '../state/registry.js';
import { passes, type WatchFilter } from './watch-filter.js';

/** At most this many agents and this many instances per part. */
export const SNAPSHOT_PART_SIZE = 500;
/** Finished rollouts a snapshot shows (the newest), besides every unfinished one. */
export const SNAPSHOT_FINISHED_ROLLOUTS = 20;

export interface SnapshotSource {
  agents: AgentInfo[];
  instances: InstanceView[];
  rollouts: RolloutRecord[];
}

export function snapshotParts(
  src: SnapshotSource,
  filter: WatchFilter,
  index: number,
  at: string,
  partSize = SNAPSHOT_PART_SIZE,
): WatchEvent[] {
  // What a live view shows whatever kinds it asked for: only the handler and agent filters narrow it.
  const scope = { ...filter, kinds: new Set(['agent', 'instance', 'rollout']) };
  const agents = src.agents.filter((a) => passes(scope, { kind: 'agent', handlers: [], agent: a.id ?? '' }));
  const instances: InstanceInfo[] = src.instances
    .filter((v) => passes(scope, { kind: 'instance', handlers: [v.status.handler ?? ''], agent: v.agent }))
    .map((v) => ({ ...v }));
  const rollouts = rolloutsShown(src.rollouts).filter((r) =>
    passes(scope, { kind: 'rollout', handlers: r.handlers.map((h) => h.name), agent: '' }),
  );
  const count = Math.max(1, Math.ceil(agents.length / partSize), Math.ceil(instances.length / partSize));
  const parts: WatchEvent[] = [];
  for (let i = 0; i < count; i++) {
    const part: { agents: AgentInfo[]; instances: InstanceInfo[]; rollouts: Rollout[]; more: boolean } = {
      agents: agents.slice(i * partSize, (i + 1) * partSize),
      instances: instances.slice(i * partSize, (i + 1) * partSize),
      rollouts: i === 0 ? rollouts.map(toRolloutProto) : [],
      more: i < count - 1,
    };
    parts.push({ index, kind: 'snapshot', at, handler: '', agent: '', snapshot: part });
  }
  return parts;
}

/** Unfinished rollouts, then the newest finished ones (bounded), oldest first. */
function rolloutsShown(all: RolloutRecord[]): RolloutRecord[] {
  const finished = all
    .filter((r) => TERMINAL_STATES.has(r.state))
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at))
    .slice(0, SNAPSHOT_FINISHED_ROLLOUTS);
  const open = all.filter((r) => !TERMINAL_STATES.has(r.state));
  return [...open, ...finished].sort((a, b) => a.created_at.localeCompare(b.created_at));
}
