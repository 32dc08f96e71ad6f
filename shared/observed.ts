/** Observe-only wording shared by the agent (which refuses) and the master (which may refuse first). */

/** Why stop/restart of an observed process is refused (DESIGN §3, §8 item 3). */
export function observedRefusal(name: string): string {
  return (
    `${name} is an observed process (attached by PID): governor never signals it; ` +
    'stop it yourself or detach'
  );
}

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
