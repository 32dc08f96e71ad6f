/**
 * Turns the contract's change events (registry, execution log, rollout store, fleet metrics, the agents'
 * policy transitions) into watch events: kept ones are published to the hub (numbered, in the order the
 * master saw them), metrics are broadcast unkept and recorded in the history. Returns a function that detaches every listener.
 */
import type { EventEmitter } from 'node:events';
import type { MetricsReport__Output } from '../../proto/generated/governor/v1/MetricsReport.js';
import type { PolicyTransition } from '../../proto/generated/governor/v1/PolicyTransition.js';
import type { Fleet } from '../fleet/fleet.js';
import { toRolloutProto } from '../rollout/create.js';
import type { RolloutStoreEvents } from '../rollout/store.js';
import type { RolloutRecord } from '../rollout/types.js';
import type { ExecutionRecord } from '../state/execution-stats.js';
import type { InstanceChange } from '../state/registry.js';
import { instanceEvents } from './instance-events.js';
import type { MetricsHistory } from './metrics-history.js';
import type { WatchHub } from './watch-hub.js';

export function attachChangeFeed(
  fleet: Fleet,
  /** The rollout store's changes (null: no rollout engine, as in some unit tests). */
  rolloutChanges: EventEmitter<RolloutStoreEvents> | null,
  hub: WatchHub,
  history: MetricsHistory,
  now: () => number = Date.now,
): () => void {
  const iso = (): string => new Date(now()).toISOString();

  const onInstance = (c: InstanceChange): void => {
    if (c.after === null) history.forget(c.agent, c.key);
    for (const e of instanceEvents(c, iso())) hub.publish(e);
  };
  const onAgent = (id: string): void => {
    const info = fleet.agentInfos().find((a) => a.id === id);
    const rec = fleet.registry.getAgent(id);
    if (!rec) {
      // Forgotten (revoked before it was ever seen, then unrevoked): no longer revoked, never connected.
      const gone = { id, connected: false, revoked: false };
      hub.publish({ kind: 'agent', at: iso(), handler: '', agent: id, agent_info: gone });
      return;
    }
    if (!info) return;
    // `connected` as the registry has it now: a hello marks the agent connected (and tells listeners)
    // before its session joins the fleet's hub, which is what agentInfos() asks.
    hub.publish({
      kind: 'agent',
      at: iso(),
      handler: '',
      agent: id,
      agent_info: { ...info, connected: rec.connected },
    });
  };
  const onExecution = (r: ExecutionRecord): void => {
    hub.publish({ kind: 'execution', at: iso(), handler: r.handler, agent: r.agent, execution: r });
  };
  const onRollout = (r: RolloutRecord): void => {
    const handler = r.handlers.length === 1 ? (r.handlers[0]?.name ?? '') : '';
    hub.publish({ kind: 'rollout', at: iso(), handler, agent: '', rollout: toRolloutProto(r) });
  };
  // A rule changed state on an agent: kept, about its handler (none for an agent-wide rule) and agent.
  const onPolicy = (agent: string, t: PolicyTransition): void => {
    hub.publish({ kind: 'policy', at: iso(), handler: t.handler ?? '', agent, policy: t });
  };
  const onMetrics = (agent: string, report: MetricsReport__Output): void => {
    const atMs = now();
    history.record(agent, report, atMs);
    hub.broadcast({
      kind: 'metrics',
      at: new Date(atMs).toISOString(),
      handler: '',
      agent,
      metrics: { host: report.host, instances: report.instances },
    });
  };

  fleet.registry.changes.on('instance', onInstance);
  fleet.registry.changes.on('agent', onAgent);
  fleet.executions.changes.on('execution', onExecution);
  fleet.changes.on('metrics', onMetrics);
  fleet.changes.on('policy', onPolicy);
  const rolloutEmitter = rolloutChanges;
  rolloutEmitter?.on('rollout', onRollout);
  return () => {
    fleet.registry.changes.off('instance', onInstance);
    fleet.registry.changes.off('agent', onAgent);
    fleet.executions.changes.off('execution', onExecution);
    fleet.changes.off('metrics', onMetrics);
    fleet.changes.off('policy', onPolicy);
    rolloutEmitter?.off('rollout', onRollout);
  };
}
