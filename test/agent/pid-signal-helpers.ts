/** Helpers for tests of the handler's own PID and of SIGNAL: the pid-signals fixture's log, commands. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GovernorAgent } from '../../agent/governor-agent.js';
import type { Supervisor } from '../../agent/supervisor/supervisor.js';
import type { AgentCommand__Output } from '../../proto/generated/governor/v1/AgentCommand.js';
import { silentLogger } from '../../shared/logger.js';
import { fixture, waitFor } from '../helpers/common.js';

/** A spec of the pid-signals fixture logging to `log` (with one child when `child`). */
export function pidSignalsSpec(name: string, log: string, child = false): Record<string, unknown> {
  return {
    name,
    command: ['node', fixture('pid-signals.mjs')],
    env: { PID_LOG: log, ...(child ? { FORK_CHILD: '1' } : {}) },
    start_seconds: 0,
    stop_timeout: '300ms', // it logs SIGTERM and keeps running: SIGKILL ends it
  };
}

/**
 * A spec of a pid-signals main with a pid-signals child in its group (and cgroup), both logging to `log` and
 * ignoring every signal but SIGKILL (which the stop sends after its 300 ms stop_timeout).
 */
export function mainWithChildSpec(name: string, log: string): Record<string, unknown> {
  const script = fixture('pid-signals.mjs');
  return {
    name,
    command: ['/bin/sh', '-c', `PID_ROLE=child node ${script} & PID_ROLE=main exec node ${script}`],
    env: { PID_LOG: log },
    start_seconds: 0,
    stop_timeout: '300ms',
  };
}

export interface LoggedProc {
  pid: number;
  ppid: number;
}

/** The lines of a pid-signals log as [role, pid, rest]. */
export function logLines(log: string): Array<[string, number, string]> {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [role, pid, ...rest] = l.split(' ');
      return [role!, Number(pid), rest.join(' ')];
    });
}

/**
 * Waits until a process of `role` logged its start (the latest one, which must not be `not`: the one
 * before a restart); its pid and parent pid.
 */
export function started(log: string, role: 'main' | 'child', not = 0): Promise<LoggedProc> {
  return waitFor(
    () => {
      const l = logLines(log)
        .filter(([r, , rest]) => r === role && rest.startsWith('ppid'))
        .at(-1);
      if (l?.[1] === not) return null;
      return l ? { pid: l[1], ppid: Number(l[2].split(' ')[1]) } : null;
    },
    { what: `${role} in ${path.basename(log)} started` },
  );
}

/** The signals process `pid` logged. */
export function signalsOf(log: string, pid: number): string[] {
  return logLines(log)
    .filter(([, p, rest]) => p === pid && rest.startsWith('SIG'))
    .map(([, , rest]) => rest);
}

/**
 * A GovernorAgent on `sup`; by default it never reaches a master (commands are executed directly), or it
 * dials `address` once started.
 */
export function agentOn(sup: Supervisor, dataDir: string, address = '127.0.0.1:1'): GovernorAgent {
  return new GovernorAgent(
    sup,
    {
      agentId: 'edge-1',
      address,
      credentials: grpc.credentials.createInsecure(),
      labels: {},
      dataDir,
    },
    silentLogger,
  );
}

/** An agent command as the link decodes it (unset fields at their defaults). */
export function command(fields: Partial<AgentCommand__Output>): AgentCommand__Output {
  return {
    id: '',
    handler: '',
    instance: '',
    name: '',
    pid: 0,
    signal: '',
    main: false,
    ...fields,
  } as AgentCommand__Output;
}

/** The mains a pid-signals log saw start, in order. */
export function mains(log: string): number[] {
  return logLines(log)
    .filter(([role, , rest]) => role === 'main' && rest.startsWith('ppid'))
    .map(([, pid]) => pid);
}
