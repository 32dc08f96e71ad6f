/**
 * How the supervisor gets observe-only and advisory limits with a few hooks: the backend it uses is the
 * real one wrapped twice (limits: spawn into the instance's cgroup; guard: never signal a group holding an
 * observed process), plus the observed set and the cgroup sweeper.
 */
import type { DurableStore } from '../../shared/durable-store.js';
import type { Logger } from '../../shared/logger.js';
import type { HandlerSpec } from '../../shared/spec.js';
import type { Handle, ProcessBackend } from '../process/backend.js';
import type { Clock } from '../../shared/clock.js';
import { Cgroups, cgroupScope } from '../process/cgroups.js';
import { LimitedBackend } from '../process/cgroups-backend.js';
import type { DiscoverRule } from './discovery.js';
import type { StateChange } from '../instance/instance.js';
import type { InstanceEvent } from '../instance/lifecycle.js';
import { GuardedBackend } from './guard.js';
import { CheckedBackend } from '../process/spawn-checks.js';
import { ObservedSet } from './observed.js';
import type { AgentState } from '../supervisor/state-store.js';

export interface ObserveOptions {
  dataDir: string;
  backend: ProcessBackend;
  logger: Logger;
  clock: Clock;
  cgroupRoot: string;
  discover: readonly DiscoverRule[];
}

export interface ObserveHost {
  store: DurableStore<AgentState>;
  /** The supervised instances (their key, spec limits and current handle). */
  instances(): Iterable<{ name: string; spec: HandlerSpec; handle: Handle | null }>;
  emitState(change: StateChange): void;
  emitEvent(name: string, ev: InstanceEvent): void;
}

export interface ObserveParts {
  backend: ProcessBackend;
  cgroups: Cgroups;
  observed: ObservedSet;
}

export function wireObserveAndLimits(o: ObserveOptions, host: ObserveHost): ObserveParts {
  const logger = o.logger;
  const cgroups = new Cgroups({ root: o.cgroupRoot, scope: cgroupScope(o.dataDir), logger });
  const limitsOf = (key: string) => {
    for (const i of host.instances()) if (i.name === key) return i.spec.limits;
    return undefined;
  };
  const observed = new ObservedSet({
    store: host.store,
    clock: o.clock,
    logger,
    cgroups,
    rules: o.discover,
    governedGroups: () => {
      const set = new Set<number>();
      for (const i of host.instances()) if (i.handle) set.add(i.handle.pgid);
      return set;
    },
    isHandlerName: (name) => {
      for (const i of host.instances()) if (i.spec.name === name || i.name === name) return true;
      return false;
    },
    onState: (c) => host.emitState(c),
    onEvent: (name, ev) => host.emitEvent(name, ev),
  });
  const guardLog = logger.named('guard');
  const checked = new CheckedBackend(o.backend); // a missing cwd is named before any spawn
  const backend = new GuardedBackend(new LimitedBackend(checked, cgroups, limitsOf), observed, (h, pid) =>
    guardLog.error('signal refused: the process group holds an observed process', {
      pgid: h.pgid,
      observed_pid: pid,
    }),
  );
  return { backend, cgroups, observed };
}
