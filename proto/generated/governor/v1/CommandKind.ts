// Original file: proto/governor/v1/agent_link.proto

export const CommandKind = {
  COMMAND_KIND_UNSPECIFIED: 'COMMAND_KIND_UNSPECIFIED',
  /**
   * Replace the agent's assigned specs and reconcile: start new handlers, restart changed ones, stop
   * replicas above a spec's count and the handlers named in `remove` (never any other).
   */
  APPLY: 'APPLY',
  START: 'START',
  STOP: 'STOP',
  RESTART: 'RESTART',
  /**
   * Wake an on-demand instance and answer once it is hot.
   */
  ENSURE: 'ENSURE',
  /**
   * Return current metrics.
   */
  METRICS: 'METRICS',
  /**
   * Observe a foreign process by PID (never signalled).
   */
  ATTACH: 'ATTACH',
  /**
   * Stop observing.
   */
  DETACH: 'DETACH',
  /**
   * Return the last lines of an instance's log.
   */
  LOGS: 'LOGS',
  /**
   * A rollout step: put ONE instance (`instance`, required) on the spec in `specs` (exactly that
   * handler's spec) and restart it — also when the spec is unchanged (rolling restart). An instance an
   * operator stopped only gets the spec stored, it is not started. An instance the agent does not run yet
   * (a replica a rolling update adds) is created on the spec, when its index is below the spec's count.
   * Other instances of the handler are untouched. Answers once the instance left `starting`.
   */
  UPDATE: 'UPDATE',
  /**
   * Send `signal` to the instances of `handler` (or `instance`): their process group, or with `main` the
   * main process only, each only when its identity is verified. Refused for observed processes.
   */
  SIGNAL: 'SIGNAL',
  /**
   * Release the leases held on the instances of `handler` (or `instance`); they may cool from then on.
   */
  RELEASE: 'RELEASE',
} as const;

export type CommandKind =
  | 'COMMAND_KIND_UNSPECIFIED'
  | 0
  /**
   * Replace the agent's assigned specs and reconcile: start new handlers, restart changed ones, stop
   * replicas above a spec's count and the handlers named in `remove` (never any other).
   */
  | 'APPLY'
  | 1
  | 'START'
  | 2
  | 'STOP'
  | 3
  | 'RESTART'
  | 4
  /**
   * Wake an on-demand instance and answer once it is hot.
   */
  | 'ENSURE'
  | 5
  /**
   * Return current metrics.
   */
  | 'METRICS'
  | 6
  /**
   * Observe a foreign process by PID (never signalled).
   */
  | 'ATTACH'
  | 7
  /**
   * Stop observing.
   */
  | 'DETACH'
  | 8
  /**
   * Return the last lines of an instance's log.
   */
  | 'LOGS'
  | 9
  /**
   * A rollout step: put ONE instance (`instance`, required) on the spec in `specs` (exactly that
   * handler's spec) and restart it — also when the spec is unchanged (rolling restart). An instance an
   * operator stopped only gets the spec stored, it is not started. An instance the agent does not run yet
   * (a replica a rolling update adds) is created on the spec, when its index is below the spec's count.
   * Other instances of the handler are untouched. Answers once the instance left `starting`.
   */
  | 'UPDATE'
  | 11
  /**
   * Send `signal` to the instances of `handler` (or `instance`): their process group, or with `main` the
   * main process only, each only when its identity is verified. Refused for observed processes.
   */
  | 'SIGNAL'
  | 12
  /**
   * Release the leases held on the instances of `handler` (or `instance`); they may cool from then on.
   */
  | 'RELEASE'
  | 13

export type CommandKind__Output = typeof CommandKind[keyof typeof CommandKind]
