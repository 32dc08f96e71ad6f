// Original file: proto/governor/v1/agent_link.proto

import type { CommandKind as _governor_v1_CommandKind, CommandKind__Output as _governor_v1_CommandKind__Output } from '../../governor/v1/CommandKind.js';
import type { HandlerSpec as _governor_v1_HandlerSpec, HandlerSpec__Output as _governor_v1_HandlerSpec__Output } from '../../governor/v1/HandlerSpec.js';

/**
 * A command from the master. The master sends each command once and never retries it (asking again is a
 * new execution with a new id); should an id come again anyway, the agent answers with the result it
 * already gave (for its last 256 commands) instead of carrying it out twice.
 */
export interface AgentCommand {
  /**
   * Unique id. For commands recorded in the execution log it is `<execution id>-<8 random hex>`, so a
   * result arriving late (even after a master restart) finds its execution; other commands (METRICS,
   * LOGS) have ids that name no execution.
   */
  'id'?: (string);
  /**
   * Deadline, ms since the epoch, in the master's clock (the agent compares it with its estimate of that
   * clock). A command whose deadline passed before the agent could start it is not carried out: the
   * agent answers DEADLINE_EXCEEDED. Nor does the agent start a command read from a stream that has
   * closed, or after a silence longer than the master's grace (Welcome.heartbeat_grace_ms).
   */
  'deadline_ms'?: (number | string);
  /**
   * What to do.
   */
  'kind'?: (_governor_v1_CommandKind);
  /**
   * Handler the command is about (empty for METRICS, and for an APPLY unless it follows an admin's
   * delete of that handler).
   */
  'handler'?: (string);
  /**
   * ATTACH: PID to observe.
   */
  'pid'?: (number);
  /**
   * LOGS: how many last lines to return.
   */
  'tail_lines'?: (number);
  /**
   * LOGS: stdout | stderr.
   */
  'stream'?: (string);
  /**
   * ATTACH/DETACH: name of the observed process.
   */
  'name'?: (string);
  /**
   * START/STOP/RESTART/ENSURE/LOGS/UPDATE/SIGNAL: one instance key (`web#1`) instead of all instances of `handler`.
   */
  'instance'?: (string);
  /**
   * APPLY: handlers under a rolling update (DESIGN §5). Their existing instances keep the spec they run
   * (replicas above the pushed spec's count stop); rollouts move each one with UPDATE.
   */
  'hold'?: (string)[];
  /**
   * APPLY: this is the master's sync after a hello, not an admin's change (recorded as such; the agent
   * treats both alike).
   */
  'sync'?: (boolean);
  /**
   * APPLY: handler names the master has a record against (deleted by an admin, or whose spec targets
   * other agents only). Besides replicas above a spec's count, the only handlers an APPLY stops and
   * removes: a handler the master merely does not know (a new or emptied store) is never stopped.
   */
  'remove'?: (string)[];
  /**
   * APPLY: instance keys (`web#1`) a rolling update starts in its batch (replicas it adds: DESIGN §5): the
   * APPLY does not create them, whatever the pushed spec's count; the rollout's UPDATE does. One that runs
   * already is left as `hold` leaves it.
   */
  'defer'?: (string)[];
  /**
   * APPLY: the full set of handler specs assigned to this agent (empty with keep_specs). UPDATE: exactly
   * the one spec to put the instance on. The agent validates each with the apply validator and refuses
   * the whole command, naming the field, before changing anything.
   */
  'specs'?: (_governor_v1_HandlerSpec)[];
  /**
   * APPLY (a sync): the agent's instances already run exactly the specs this APPLY would carry (its
   * Hello.specs_hash matched), so `specs` is left empty and the agent keeps the specs it runs; `remove`
   * still applies.
   */
  'keep_specs'?: (boolean);
  /**
   * SIGNAL: the signal name (`SIGHUP`).
   */
  'signal'?: (string);
  /**
   * SIGNAL: to the main process only (the shim's child), not the whole process group.
   */
  'main'?: (boolean);
  /**
   * ENSURE: also take (or renew) a lease for this long; the instance counts as busy until it ends.
   */
  'hold_ms'?: (number | string);
  /**
   * LOGS: the read is no use of the instance (a viewer's: a viewer changes nothing), so it never restarts an
   * on-demand idle timer. Unset (an admin's read, or an older master's): it counts as use.
   */
  'observe_only'?: (boolean);
}

/**
 * A command from the master. The master sends each command once and never retries it (asking again is a
 * new execution with a new id); should an id come again anyway, the agent answers with the result it
 * already gave (for its last 256 commands) instead of carrying it out twice.
 */
export interface AgentCommand__Output {
  /**
   * Unique id. For commands recorded in the execution log it is `<execution id>-<8 random hex>`, so a
   * result arriving late (even after a master restart) finds its execution; other commands (METRICS,
   * LOGS) have ids that name no execution.
   */
  'id': (string);
  /**
   * Deadline, ms since the epoch, in the master's clock (the agent compares it with its estimate of that
   * clock). A command whose deadline passed before the agent could start it is not carried out: the
   * agent answers DEADLINE_EXCEEDED. Nor does the agent start a command read from a stream that has
   * closed, or after a silence longer than the master's grace (Welcome.heartbeat_grace_ms).
   */
  'deadline_ms': (number);
  /**
   * What to do.
   */
  'kind': (_governor_v1_CommandKind__Output);
  /**
   * Handler the command is about (empty for METRICS, and for an APPLY unless it follows an admin's
   * delete of that handler).
   */
  'handler': (string);
  /**
   * ATTACH: PID to observe.
   */
  'pid': (number);
  /**
   * LOGS: how many last lines to return.
   */
  'tail_lines': (number);
  /**
   * LOGS: stdout | stderr.
   */
  'stream': (string);
  /**
   * ATTACH/DETACH: name of the observed process.
   */
  'name': (string);
  /**
   * START/STOP/RESTART/ENSURE/LOGS/UPDATE/SIGNAL: one instance key (`web#1`) instead of all instances of `handler`.
   */
  'instance': (string);
  /**
   * APPLY: handlers under a rolling update (DESIGN §5). Their existing instances keep the spec they run
   * (replicas above the pushed spec's count stop); rollouts move each one with UPDATE.
   */
  'hold': (string)[];
  /**
   * APPLY: this is the master's sync after a hello, not an admin's change (recorded as such; the agent
   * treats both alike).
   */
  'sync': (boolean);
  /**
   * APPLY: handler names the master has a record against (deleted by an admin, or whose spec targets
   * other agents only). Besides replicas above a spec's count, the only handlers an APPLY stops and
   * removes: a handler the master merely does not know (a new or emptied store) is never stopped.
   */
  'remove': (string)[];
  /**
   * APPLY: instance keys (`web#1`) a rolling update starts in its batch (replicas it adds: DESIGN §5): the
   * APPLY does not create them, whatever the pushed spec's count; the rollout's UPDATE does. One that runs
   * already is left as `hold` leaves it.
   */
  'defer': (string)[];
  /**
   * APPLY: the full set of handler specs assigned to this agent (empty with keep_specs). UPDATE: exactly
   * the one spec to put the instance on. The agent validates each with the apply validator and refuses
   * the whole command, naming the field, before changing anything.
   */
  'specs': (_governor_v1_HandlerSpec__Output)[];
  /**
   * APPLY (a sync): the agent's instances already run exactly the specs this APPLY would carry (its
   * Hello.specs_hash matched), so `specs` is left empty and the agent keeps the specs it runs; `remove`
   * still applies.
   */
  'keep_specs': (boolean);
  /**
   * SIGNAL: the signal name (`SIGHUP`).
   */
  'signal': (string);
  /**
   * SIGNAL: to the main process only (the shim's child), not the whole process group.
   */
  'main': (boolean);
  /**
   * ENSURE: also take (or renew) a lease for this long; the instance counts as busy until it ends.
   */
  'hold_ms': (number);
  /**
   * LOGS: the read is no use of the instance (a viewer's: a viewer changes nothing), so it never restarts an
   * on-demand idle timer. Unset (an admin's read, or an older master's): it counts as use.
   */
  'observe_only': (boolean);
}
