/**
 * How a handler (and its exec health check) is launched: with which environment and as whom.
 *
 * Environment: only `PATH LANG HOME USER TZ` of the agent's own (those it has), plus the names the spec
 * lists in `inherit_env`; with a `user`, HOME and USER are that user's; then the spec's `env` (its
 * `${index}` / `${index+N}` placeholders substituted for this instance: shared/spec-env.ts); then
 * `GOV_HANDLER GOV_INSTANCE GOV_AGENT GOV_INSTANCE_INDEX`, which nothing overrides; with `notify: true`
 * also `NOTIFY_SOCKET` (and `WATCHDOG_USEC` with `watchdog:`), as systemd sets them (no WATCHDOG_PID: the
 * main PID is not known before the spawn, and libsystemd then accepts pings from any process). Nothing else of the
 * agent's environment (tokens, keys) reaches a handler.
 *
 * Identity: `user`/`group` (name or numeric id) put `setpriv --reuid --regid --init-groups|--clear-groups
 * --` before the command, so only the handler drops privileges: the exit-status shim stays the agent's
 * and still writes its exit file in the private data dir, and the recorded identity (the shim's command
 * line) includes the prefix. An agent that is not root runs handlers as itself only: a spec naming
 * another user or group is refused. Refusals are thrown and end as the instance's SPAWN_FAILED event.
 */
import { PermissionError, StateError, ValidationError } from '../../shared/errors.js';
import { instanceKey, type HandlerSpec } from '../../shared/spec.js';
import { expandEnv } from '../../shared/spec-env.js';
import type { NotifyEndpoint } from '../notify/receiver.js';
import {
  findGroup,
  findUser,
  initGroupsOf,
  numericId,
  SYSTEM_ACCOUNT_FILES,
  type AccountFiles,
} from './accounts.js';

/** What a handler inherits from the agent's environment without asking. */
export const BASE_ENV = ['PATH', 'LANG', 'HOME', 'USER', 'TZ'] as const;
/** util-linux's setpriv (Debian essential). */
export const SETPRIV = '/usr/bin/setpriv';

export interface LaunchContext {
  /** GOV_AGENT: the agent's id (its certificate CN, or for a standalone agent its --id or hostname). */
  agentId: string;
  /** The agent's own environment, read once by the entry point. */
  agentEnv: Record<string, string | undefined>;
  /** The agent's effective uid and gid. */
  uid: number;
  gid: number;
  /** Where users and groups are looked up (tests). Default /etc/passwd and /etc/group. */
  accounts?: AccountFiles;
  /** The agent's sd_notify socket (agent/notify), or why it has none; absent: none. */
  notify?: NotifyEndpoint;
}

export interface Launch {
  /** The handler's whole environment. */
  env: Record<string, string>;
  /**
   * The names whose value (or absence) is the agent's own (BASE_ENV, `inherit_env`: what neither the spec's
   * env nor its user set): what the spec launches does not change when the agent's environment does.
   */
  inherited: string[];
  /** Goes before the command (and an exec check's): `setpriv … --`, or nothing. */
  prefix: string[];
  /** The same change of identity for a spawn that makes it itself (gov exec's native spawn); null: none. */
  identity: Identity | null;
}

/** uid, gid and supplementary groups, as the `setpriv` prefix sets them. */
export interface Identity {
  uid: number;
  gid: number;
  groups: number[];
}

interface Account {
  uid: number;
  gid: number;
  /** USER and HOME of a `user:` (its passwd entry; a bare uid gets its number and `/`). */
  named: { name: string; home: string } | null;
  /** Supplementary groups: the user's (it has a passwd entry: its name and primary group), or none. */
  initGroups: { name: string; gid: number } | null;
}

function resolveAccount(spec: HandlerSpec, ctx: LaunchContext): Account | null {
  if (spec.user === undefined && spec.group === undefined) return null;
  const files = ctx.accounts ?? SYSTEM_ACCOUNT_FILES;
  let uid = ctx.uid;
  let gid = ctx.gid;
  let named: Account['named'] = null;
  let initGroups: Account['initGroups'] = null;
  if (spec.user !== undefined) {
    const u = findUser(spec.user, files);
    const id = numericId(spec.user);
    if (!u && id === null)
      throw new ValidationError(
        `user: ${JSON.stringify(spec.user)} is not a user on this machine (not in ${files.passwd})`,
      );
    if (!u && spec.group === undefined)
      throw new ValidationError(`user: uid ${spec.user} has no entry in ${files.passwd}: give group: too`);
    uid = u?.uid ?? Number(id);
    gid = u?.gid ?? gid;
    named = u ? { name: u.name, home: u.home } : { name: String(uid), home: '/' };
    initGroups = u ? { name: u.name, gid: u.gid } : null;
  }
  if (spec.group !== undefined) {
    const g = findGroup(spec.group, files);
    const id = numericId(spec.group);
    if (!g && id === null)
      throw new ValidationError(
        `group: ${JSON.stringify(spec.group)} is not a group on this machine (not in ${files.group})`,
      );
    gid = g?.gid ?? Number(id);
  }
  if (ctx.uid !== 0 && (uid !== ctx.uid || gid !== ctx.gid)) {
    throw new PermissionError(
      `user:/group: the agent runs as uid ${ctx.uid} gid ${ctx.gid}, not as root, so it cannot run ` +
        `${spec.name} as uid ${uid} gid ${gid}; remove user:/group: or run the agent as root`,
    );
  }
  return { uid, gid, named, initGroups };
}

/** setpriv --init-groups: initgroups(3) of the uid's passwd name and primary group; --clear-groups: none. */
function supplementaryGroups(account: Account, ctx: LaunchContext): number[] {
  const init = account.initGroups;
  return init ? initGroupsOf(init.name, init.gid, ctx.accounts ?? SYSTEM_ACCOUNT_FILES) : [];
}

/** The environment and command prefix of instance `index` of `spec`. Throws a clear error on a bad user/group. */
export function prepareLaunch(spec: HandlerSpec, index: number, ctx: LaunchContext): Launch {
  const account = resolveAccount(spec, ctx);
  const env: Record<string, string> = {};
  for (const k of [...BASE_ENV, ...(spec.inherit_env ?? [])]) {
    // The agent's own variables only: `inherit_env: [toString]` must not read what the object inherits.
    const v = Object.hasOwn(ctx.agentEnv, k) ? ctx.agentEnv[k] : undefined;
    if (typeof v === 'string') env[k] = v;
  }
  // Every name the agent's environment may give, set now or not (one the agent had at an earlier spawn may be gone).
  const inherited = new Set<string>([...BASE_ENV, ...(spec.inherit_env ?? [])]);
  if (account?.named) {
    env.HOME = account.named.home;
    env.USER = account.named.name;
    inherited.delete('HOME');
    inherited.delete('USER');
  }
  const own = expandEnv(spec.env, index);
  for (const k of Object.keys(own)) inherited.delete(k);
  Object.assign(env, own);
  env.GOV_HANDLER = spec.name;
  env.GOV_INSTANCE = instanceKey(spec.name, index);
  env.GOV_AGENT = ctx.agentId;
  env.GOV_INSTANCE_INDEX = String(index);
  if (spec.notify === true) Object.assign(env, notifyEnv(spec, ctx));
  const drop = account !== null && (account.uid !== ctx.uid || account.gid !== ctx.gid);
  const prefix = drop
    ? [
        SETPRIV,
        `--reuid=${account.uid}`,
        `--regid=${account.gid}`,
        account.initGroups ? '--init-groups' : '--clear-groups',
        '--',
      ]
    : [];
  const identity = drop
    ? { uid: account.uid, gid: account.gid, groups: supplementaryGroups(account, ctx) }
    : null;
  return { env, inherited: [...inherited], prefix, identity };
}

/**
 * `notify: true`: NOTIFY_SOCKET (the agent's one socket, agent/notify) and with `watchdog:` WATCHDOG_USEC.
 * Without a socket (native helpers missing, path too long) the start is refused with why: no retry loop.
 */
function notifyEnv(spec: HandlerSpec, ctx: LaunchContext): Record<string, string> {
  const ep = ctx.notify ?? { unavailable: 'this agent has no sd_notify socket' };
  if ('unavailable' in ep) throw new StateError(`notify: true cannot be honoured: ${ep.unavailable}`);
  const env: Record<string, string> = { NOTIFY_SOCKET: ep.socket };
  if (spec.watchdog_ms !== undefined) env.WATCHDOG_USEC = String(spec.watchdog_ms * 1000);
  return env;
}
