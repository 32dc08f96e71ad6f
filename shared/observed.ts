/** Observe-only wording shared by the agent (which refuses) and the master (which may refuse first). */

/** Why stop/restart of an observed process is refused (DESIGN §3, §8 item 3). */
export function observedRefusal(
  name: string,
  why = 'governor never signals it; stop it yourself or detach',
): string {
  return `${name} is an observed process (attached by PID): ${why}`;
}

/** Why a read or a command other than a signal is refused for an observed process (observedRefusal's `why`). */
export const OBSERVED_WHY = {
  logs: 'governor did not start it and holds no output of it; read its own logs',
  exec: 'governor runs commands only beside its own handlers (an observed process has no spec to run them with)',
  delete: 'it is no handler; `gov detach --agent AGENT --name NAME` stops observing it',
} as const;

/**
 * Why a handler and an observed process may not share a name on one agent (one namespace per agent: the
 * handler could not be stopped or restarted under a name that means the observed process). `agent` is
 * omitted on the agent itself.
 */
export function handlerObservedClash(handler: string, pid: number, agent?: string): string {
  const where = agent ? `agent ${agent}` : 'this agent';
  return (
    `handler ${handler} and the observed process ${handler}${pid ? ` (pid ${pid})` : ''} on ${where} ` +
    'would share one name; handlers and observed processes share one namespace per agent: ' +
    `detach it (gov detach ${handler}${agent ? ` --agent ${agent}` : ''}) or pick another name`
  );
}
