// Original file: proto/governor/v1/spec.proto

import type { Backoff as _governor_v1_Backoff, Backoff__Output as _governor_v1_Backoff__Output } from '../../governor/v1/Backoff.js';
import type { HealthCheck as _governor_v1_HealthCheck, HealthCheck__Output as _governor_v1_HealthCheck__Output } from '../../governor/v1/HealthCheck.js';
import type { Limits as _governor_v1_Limits, Limits__Output as _governor_v1_Limits__Output } from '../../governor/v1/Limits.js';
import type { UpdatePolicy as _governor_v1_UpdatePolicy, UpdatePolicy__Output as _governor_v1_UpdatePolicy__Output } from '../../governor/v1/UpdatePolicy.js';
import type { LogRotation as _governor_v1_LogRotation, LogRotation__Output as _governor_v1_LogRotation__Output } from '../../governor/v1/LogRotation.js';
import type { NameList as _governor_v1_NameList, NameList__Output as _governor_v1_NameList__Output } from '../../governor/v1/NameList.js';
import type { PolicyRule as _governor_v1_PolicyRule, PolicyRule__Output as _governor_v1_PolicyRule__Output } from '../../governor/v1/PolicyRule.js';

/**
 * One handler (DESIGN §7).
 */
export interface HandlerSpec {
  /**
   * Handler name (`^[a-z0-9][a-z0-9._-]{0,62}$`).
   */
  'name'?: (string);
  /**
   * Instances per assigned agent (replicas), 1..100.
   */
  'count'?: (number);
  /**
   * Agent ids the handler targets; empty: the selector decides.
   */
  'agents'?: (string)[];
  /**
   * Admin-set agent labels the handler targets when `agents` is empty.
   */
  'selector'?: ({[key: string]: string});
  /**
   * argv of the handler (not empty).
   */
  'command'?: (string)[];
  /**
   * Working directory (absolute); unset: the agent's own working directory.
   */
  'cwd'?: (string);
  /**
   * Environment the spec adds (GOV_* names are refused).
   */
  'env'?: ({[key: string]: string});
  /**
   * always | on-failure | never.
   */
  'restart'?: (string);
  /**
   * Seconds an instance must stay up to count as started.
   */
  'start_seconds'?: (number | string);
  /**
   * Quick exits before `fatal`.
   */
  'start_retries'?: (number);
  /**
   * Delay between quick restarts.
   */
  'backoff'?: (_governor_v1_Backoff | null);
  /**
   * Signal sent to the process group to stop it (SIGTERM, SIGINT, ...; never SIGKILL or SIGSTOP).
   */
  'stop_signal'?: (string);
  /**
   * Wait after stop_signal before SIGKILL, ms.
   */
  'stop_timeout_ms'?: (number);
  /**
   * always-on | on-demand.
   */
  'mode'?: (string);
  /**
   * on-demand: idle time before a hot instance is cooled, ms.
   */
  'idle_timeout_ms'?: (number);
  /**
   * Health check; unset: none.
   */
  'health'?: (_governor_v1_HealthCheck | null);
  /**
   * Advisory resource limits (cgroups).
   */
  'limits'?: (_governor_v1_Limits | null);
  /**
   * Rollout settings.
   */
  'update'?: (_governor_v1_UpdatePolicy | null);
  /**
   * Handler labels (`gov … --selector` matches them).
   */
  'labels'?: ({[key: string]: string});
  /**
   * Log rotation.
   */
  'log'?: (_governor_v1_LogRotation | null);
  /**
   * Names of the agent's environment variables passed on besides PATH LANG HOME USER TZ; unset when the
   * spec has no `inherit_env` key (an empty list is a key set to []).
   */
  'inherit_env'?: (_governor_v1_NameList | null);
  /**
   * User the handler runs as (name or numeric id; only when the agent is root); unset: the agent's.
   */
  'user'?: (string);
  /**
   * Group the handler runs as (name or numeric id); unset: the user's.
   */
  'group'?: (string);
  /**
   * How liveness is judged (DESIGN §9 process tracking): simple | forking; unset: simple.
   */
  'type'?: (string);
  /**
   * type: forking only: absolute path of the file the daemon writes its main PID to; unset: the process left.
   */
  'pid_file'?: (string);
  /**
   * sd_notify (DESIGN §9): the handler gets NOTIFY_SOCKET and READY=1 makes it running; unset: false.
   */
  'notify'?: (boolean);
  /**
   * notify only: restart when no WATCHDOG=1 arrived for this long; unset: no watchdog.
   */
  'watchdog_ms'?: (number);
  /**
   * on-demand only: CPU (percent of one core) above which the process tree is busy; unset: 1.
   */
  'idle_cpu_percent'?: (number | string);
  /**
   * on-demand only: stop | freeze an idle instance; unset: stop.
   */
  'idle_action'?: (string);
  /**
   * idle_action freeze only: stop a frozen instance after this long; unset: it stays frozen.
   */
  'frozen_timeout_ms'?: (number);
  /**
   * notify or type forking only: a start not confirmed this long after the spawn fails; unset: 90 s.
   */
  'start_timeout_ms'?: (number);
  /**
   * Resource policies (DESIGN §9): rules the agent's control loop evaluates for each instance of this
   * handler. Empty: none.
   */
  'policies'?: (_governor_v1_PolicyRule)[];
  '_cwd'?: "cwd";
  '_user'?: "user";
  '_group'?: "group";
  '_type'?: "type";
  '_pid_file'?: "pid_file";
  '_notify'?: "notify";
  '_watchdog_ms'?: "watchdog_ms";
  '_idle_cpu_percent'?: "idle_cpu_percent";
  '_idle_action'?: "idle_action";
  '_frozen_timeout_ms'?: "frozen_timeout_ms";
  '_start_timeout_ms'?: "start_timeout_ms";
}

/**
 * One handler (DESIGN §7).
 */
export interface HandlerSpec__Output {
  /**
   * Handler name (`^[a-z0-9][a-z0-9._-]{0,62}$`).
   */
  'name': (string);
  /**
   * Instances per assigned agent (replicas), 1..100.
   */
  'count': (number);
  /**
   * Agent ids the handler targets; empty: the selector decides.
   */
  'agents': (string)[];
  /**
   * Admin-set agent labels the handler targets when `agents` is empty.
   */
  'selector': ({[key: string]: string});
  /**
   * argv of the handler (not empty).
   */
  'command': (string)[];
  /**
   * Working directory (absolute); unset: the agent's own working directory.
   */
  'cwd'?: (string);
  /**
   * Environment the spec adds (GOV_* names are refused).
   */
  'env': ({[key: string]: string});
  /**
   * always | on-failure | never.
   */
  'restart': (string);
  /**
   * Seconds an instance must stay up to count as started.
   */
  'start_seconds': (number);
  /**
   * Quick exits before `fatal`.
   */
  'start_retries': (number);
  /**
   * Delay between quick restarts.
   */
  'backoff': (_governor_v1_Backoff__Output | null);
  /**
   * Signal sent to the process group to stop it (SIGTERM, SIGINT, ...; never SIGKILL or SIGSTOP).
   */
  'stop_signal': (string);
  /**
   * Wait after stop_signal before SIGKILL, ms.
   */
  'stop_timeout_ms': (number);
  /**
   * always-on | on-demand.
   */
  'mode': (string);
  /**
   * on-demand: idle time before a hot instance is cooled, ms.
   */
  'idle_timeout_ms': (number);
  /**
   * Health check; unset: none.
   */
  'health': (_governor_v1_HealthCheck__Output | null);
  /**
   * Advisory resource limits (cgroups).
   */
  'limits': (_governor_v1_Limits__Output | null);
  /**
   * Rollout settings.
   */
  'update': (_governor_v1_UpdatePolicy__Output | null);
  /**
   * Handler labels (`gov … --selector` matches them).
   */
  'labels': ({[key: string]: string});
  /**
   * Log rotation.
   */
  'log': (_governor_v1_LogRotation__Output | null);
  /**
   * Names of the agent's environment variables passed on besides PATH LANG HOME USER TZ; unset when the
   * spec has no `inherit_env` key (an empty list is a key set to []).
   */
  'inherit_env': (_governor_v1_NameList__Output | null);
  /**
   * User the handler runs as (name or numeric id; only when the agent is root); unset: the agent's.
   */
  'user'?: (string);
  /**
   * Group the handler runs as (name or numeric id); unset: the user's.
   */
  'group'?: (string);
  /**
   * How liveness is judged (DESIGN §9 process tracking): simple | forking; unset: simple.
   */
  'type'?: (string);
  /**
   * type: forking only: absolute path of the file the daemon writes its main PID to; unset: the process left.
   */
  'pid_file'?: (string);
  /**
   * sd_notify (DESIGN §9): the handler gets NOTIFY_SOCKET and READY=1 makes it running; unset: false.
   */
  'notify'?: (boolean);
  /**
   * notify only: restart when no WATCHDOG=1 arrived for this long; unset: no watchdog.
   */
  'watchdog_ms'?: (number);
  /**
   * on-demand only: CPU (percent of one core) above which the process tree is busy; unset: 1.
   */
  'idle_cpu_percent'?: (number);
  /**
   * on-demand only: stop | freeze an idle instance; unset: stop.
   */
  'idle_action'?: (string);
  /**
   * idle_action freeze only: stop a frozen instance after this long; unset: it stays frozen.
   */
  'frozen_timeout_ms'?: (number);
  /**
   * notify or type forking only: a start not confirmed this long after the spawn fails; unset: 90 s.
   */
  'start_timeout_ms'?: (number);
  /**
   * Resource policies (DESIGN §9): rules the agent's control loop evaluates for each instance of this
   * handler. Empty: none.
   */
  'policies': (_governor_v1_PolicyRule__Output)[];
  '_cwd'?: "cwd";
  '_user'?: "user";
  '_group'?: "group";
  '_type'?: "type";
  '_pid_file'?: "pid_file";
  '_notify'?: "notify";
  '_watchdog_ms'?: "watchdog_ms";
  '_idle_cpu_percent'?: "idle_cpu_percent";
  '_idle_action'?: "idle_action";
  '_frozen_timeout_ms'?: "frozen_timeout_ms";
  '_start_timeout_ms'?: "start_timeout_ms";
}
