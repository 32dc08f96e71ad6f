/**
 * One control action over a resolved target set (master/state/targets.ts): one command per handler and
 * agent (or per instance key when only some of a handler's instances there are targeted), all sent at once,
 * each recorded as its own execution; then every targeted instance's own outcome, taken from the command
 * that carried it (an instance a failed command concerned fails with that command's error).
 */
import type { ExecutionRecord } from '../../proto/generated/governor/v1/ExecutionRecord.js';
import type { InstanceOutcome } from '../../proto/generated/governor/v1/InstanceOutcome.js';
import type { InstanceStatus__Output } from '../../proto/generated/governor/v1/InstanceStatus.js';
import { commandUnits, type ResolvedTargets } from '../state/targets.js';
import type { Fleet } from './fleet.js';
import type { DispatchRequest } from './dispatcher.js';
import type { CheckedControl } from '../../shared/control-request.js';
import { commandWaitMs } from '../../shared/handler-waits.js';

export interface FanOutResult {
  executions: ExecutionRecord[];
  outcomes: InstanceOutcome[];
  /**
   * The statuses the agents answered with, by agent: fresher than the registry right after the commands
   * (the registry stores them asynchronously), so a restart's answer shows the new PIDs.
   */
  reported: Array<{ agent: string; status: InstanceStatus__Output }>;
}

export async function fanOut(
  fleet: Fleet,
  resolved: ResolvedTargets,
  req: CheckedControl,
  issuedBy: string,
): Promise<FanOutResult> {
  // A signal goes to each instance by its own command: the agent refuses a handler-wide SIGNAL when one of
  // its instances is not running, and one replica in backoff must not keep the others from their signal.
  // An ensure of instances named one by one wakes each of them (a handler-wide ENSURE wakes one).
  const units = commandUnits(fleet.registry, resolved.instances, {
    perInstance: req.kind === 'SIGNAL',
    perNamed: req.kind === 'ENSURE',
  });
  const signalled: Partial<DispatchRequest> = {
    ...(req.signal ? { signal: req.signal, main: req.main } : {}),
    ...(req.holdMs ? { holdMs: req.holdMs } : {}),
    ...(req.paramsSummary ? { paramsSummary: req.paramsSummary } : {}),
  };
  const done = await Promise.all(
    units.map((u) => {
      const spec = fleet.registry.getSpec(u.handler)?.spec;
      return fleet.command({
        kind: req.kind,
        handler: u.handler,
        agent: u.agent,
        issuedBy,
        instance: u.instance,
        ...signalled,
        // A stop waits out the handler's stop_timeout, a start its start window: not the master's silence.
        ...(spec ? { waitMs: commandWaitMs(req.kind, spec) } : {}),
      });
    }),
  );
  const outcomes: InstanceOutcome[] = [];
  units.forEach((u, i) => {
    const { record } = done[i]!;
    const ok = record.status === 'success';
    for (const t of u.targets)
      outcomes.push({
        handler: t.handler,
        agent: t.agent,
        instance: t.key,
        ok,
        error: ok ? '' : record.error || `${record.status}`,
        execution_id: record.id ?? '',
      });
  });
  const reported = done.flatMap((d, i) =>
    (d.result?.instances ?? []).map((status) => ({ agent: units[i]!.agent, status })),
  );
  return { executions: done.map((d) => d.record), outcomes, reported };
}
