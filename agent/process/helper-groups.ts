/**
 * The process groups the agent runs for itself while they run: `exec:` health checks (detached, each the
 * leader of its own group; what it starts stays in that group). They are the agent's own, never a process to
 * observe: a discovery rule matching a probe's command (`curl`, `psql`) attached it as "never signalled", and
 * the probe's timeout then SIGKILLed it. The observed set refuses every member of these groups.
 */
const groups = new Set<number>();

/** Records a helper's group (its leader's PID) until the returned function is called. */
export function holdHelperGroup(pgid: number): () => void {
  groups.add(pgid);
  return () => groups.delete(pgid);
}

/** True while `pgid` is the group of a helper the agent runs. */
export function isHelperGroup(pgid: number): boolean {
  return groups.has(pgid);
}
