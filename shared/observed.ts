/** Observe-only wording shared by the agent (which refuses) and the master (which may refuse first). */

/** Why stop/restart of an observed process is refused (DESIGN §3, §8 item 3). */
export function observedRefusal(name: string): string {
  return (
    `${name} is an observed process (attached by PID): governor never signals it; ` +
    'stop it yourself or detach'
  );
}
