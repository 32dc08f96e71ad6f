/**
 * The spec keys that say who a handler runs as and what it inherits: `inherit_env` (names of the
 * agent's variables passed on, beside PATH LANG HOME USER TZ), `user` and `group` (a name or a numeric
 * id), and the GOV_* variables the agent sets itself, which a spec's `env` may not name. Whether a user
 * exists is known only on the agent's machine (agent/handler-launch.ts).
 */
import { type Ctx, ENV_NAME_RE, str, stringList, type Obj } from './spec-fields.js';

export const IDENTITY_KEYS = ['inherit_env', 'user', 'group'] as const;

/** Set by the agent for every handler; never taken from the spec or the agent's environment. */
export const AGENT_SET_ENV = ['GOV_HANDLER', 'GOV_INSTANCE', 'GOV_AGENT', 'GOV_INSTANCE_INDEX'] as const;

/** A POSIX-ish account name (useradd's rule, `$` for machine accounts), or a numeric id. */
const ACCOUNT_RE = /^(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?|\d{1,10})$/;

export interface SpecIdentity {
  inherit_env?: string[];
  user?: string;
  group?: string;
}

function account(ctx: Ctx, at: string, v: unknown): string {
  const text = typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : str(ctx, at, v);
  if (!ACCOUNT_RE.test(text) || Number(text) > 0xfffffffe) {
    ctx.fail(at, `${JSON.stringify(v)} is not a user/group name or numeric id`);
  }
  return text;
}

/** Validates the identity keys of handler `raw` at `at`, and that `env` names no GOV_* variable. */
export function parseIdentity(ctx: Ctx, at: string, raw: Obj, env: Record<string, string>): SpecIdentity {
  for (const k of Object.keys(env)) {
    if (k.startsWith('GOV_'))
      ctx.fail(`${at}.env.${k}`, 'GOV_* variables are reserved: the agent sets them (GOV_HANDLER, …)');
  }
  const out: SpecIdentity = {};
  if (raw.inherit_env !== undefined) {
    out.inherit_env = stringList(ctx, `${at}.inherit_env`, raw.inherit_env);
    for (const [i, n] of out.inherit_env.entries()) {
      if (!ENV_NAME_RE.test(n))
        ctx.fail(`${at}.inherit_env[${i}]`, `${JSON.stringify(n)} is not a variable name`);
      if ((AGENT_SET_ENV as readonly string[]).includes(n))
        ctx.fail(`${at}.inherit_env[${i}]`, `${n} is set by the agent itself`);
    }
  }
  if (raw.user !== undefined) out.user = account(ctx, `${at}.user`, raw.user);
  if (raw.group !== undefined) out.group = account(ctx, `${at}.group`, raw.group);
  return out;
}
