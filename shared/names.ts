/**
 * Names (DESIGN §7): the one rule for what Governor names — handlers, observed processes, and the agent ids
 * and admin/viewer names it issues certificates for — and the looser one for referring to an agent.
 */

/**
 * A name: handler names, observed-process names, agent ids an agent runs under (`--id`, a spec's
 * `agents:`), and agent/admin/viewer names in certificates `gov certs` issues. Safe as a file name
 * (`agent-<ID>.crt`), a cgroup and a YAML key; the CLI's `NAME@AGENT` and `NAME#N` stay unambiguous.
 */
export const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Orders names (and `name#N` instance keys) by code unit: they are ASCII (NAME_RE). Not `localeCompare`,
 * whose collator loads ICU's collation data (~2 MiB of resident memory) and is slower, for the same order
 * except that `_` sorts after the digits.
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** NAME_RE in words, for refusals. */
export const NAME_RULE = 'lowercase letters, digits, . _ -; 1-63 chars; must start with a letter or digit';

export function isName(v: unknown): v is string {
  return typeof v === 'string' && NAME_RE.test(v);
}

/** `"Web!" is not a valid name (lowercase letters, …)`: the reason a name is refused, `what` naming its role. */
export function nameRefusal(v: unknown, what = 'name'): string {
  return `${JSON.stringify(v)} is not a valid ${what} (${NAME_RULE})`;
}

/**
 * A reference to an agent the master may know (a `--agent` filter, `gov agents revoke ID`): an agent's id
 * is the CN of its certificate, and users may bring their own PKI, whose CNs the master accepts as they
 * are. So a reference is looser than NAME_RE — any CN at all, non-empty and without whitespace — or a
 * certificate with an unusual CN could not be revoked. Every id Governor itself gives out is a NAME_RE name.
 * The master refuses an agent whose CN is no reference (Registry.upsertAgent): it could not be named.
 */
export function isAgentRef(v: string): boolean {
  // `__proto__` keys no record: stored under it, an agent would become its table's prototype.
  return v.trim() !== '' && !/\s/.test(v) && v !== '__proto__';
}

/** Why `v` is no agent id (isAgentRef), for refusals. */
export function agentRefRefusal(v: string): string {
  return `${JSON.stringify(v)} is not an agent id (a certificate CN: not empty, no whitespace, not __proto__)`;
}
