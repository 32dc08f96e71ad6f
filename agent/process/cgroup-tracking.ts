/**
 * Process tracking by cgroup (DESIGN §9): every handler instance in its own cgroup, with or without limits,
 * so a process that leaves its process group (double fork + setsid) is still found, stopped and re-adopted.
 * Detected ONCE at agent start under the cgroup root:
 * - v2 (the root is a cgroup2 mount: `cgroup.controllers` + `cgroup.procs`; no controller is needed): groups
 *   live in the agent's own (delegated) subtree, `<root>/<agent's path from /proc/self/cgroup "0::">/
 *   governor/<scope>/<instance>`. The agent's leaf (AGENT_LEAF, made when limits enable controllers in its
 *   cgroup) is not part of that path, so a restarted agent finds the same groups.
 * - v1: the `pids` hierarchy (`<root>/pids/governor/<scope>/<instance>`, it also carries the pids limit: the
 *   same directory the v1 limits use), else the named `name=systemd` one, there under the agent's own path
 *   (`<root>/systemd/<agent's path>/governor/…`): that hierarchy is how systemd tracks a unit, and a handler
 *   moved out of the agent unit's cgroup would be lost to it (its KillMode would no longer apply).
 * When no group can be created (no cgroup filesystem, not root, not delegated) tracking is off: process
 * groups as before, ONE warning at start. The files of a group (members, cgroup.kill) are read here too.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Handle } from './backend.js';

/** The leaf the agent moves itself into on v2 before controllers are enabled in its own cgroup. */
export const AGENT_LEAF = 'governor-agent';

export interface TrackingLayout {
  version: 1 | 2;
  /** The directory `governor/<scope>/<instance>` groups are made under. */
  base: string;
  /** v2: the agent's own cgroup path relative to the root (`/` at the root). */
  ownPath: string;
}

/** A cgroupfs file's text, or null when it is absent or unreadable. */
export function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The path of the `/proc/PID/cgroup` line for `hier` ('' = the v2 line `0::`, else a v1 controller name). */
export function cgroupPathIn(procCgroup: string, hier: string): string | null {
  for (const line of procCgroup.split('\n')) {
    const i = line.indexOf(':');
    const j = line.indexOf(':', i + 1);
    if (i < 0 || j < 0) continue;
    const ctrls = line.slice(i + 1, j);
    if (hier === '' ? line.slice(0, i) === '0' && ctrls === '' : ctrls.split(',').includes(hier))
      return line.slice(j + 1);
  }
  return null;
}

/**
 * Where tracking groups go under `root` (see the file comment), from this process's /proc/self/cgroup
 * text; null when the root holds no usable hierarchy.
 */
export function detectTracking(root: string, selfCgroup: string | null): TrackingLayout | null {
  if (existsSync(path.join(root, 'cgroup.controllers')) && existsSync(path.join(root, 'cgroup.procs'))) {
    let own = (selfCgroup && cgroupPathIn(selfCgroup, '')) || '/';
    if (path.basename(own) === AGENT_LEAF) own = path.dirname(own);
    return { version: 2, base: own === '/' ? root : path.join(root, own), ownPath: own };
  }
  const pids = path.join(root, 'pids');
  if (existsSync(path.join(pids, 'cgroup.procs'))) return { version: 1, base: pids, ownPath: '/' };
  const named = path.join(root, 'systemd');
  if (existsSync(path.join(named, 'cgroup.procs'))) {
    const own = (selfCgroup && cgroupPathIn(selfCgroup, 'name=systemd')) || '/';
    return { version: 1, base: own === '/' ? named : path.join(named, own), ownPath: own };
  }
  return null;
}

/**
 * PIDs listed in a group's cgroup.procs and in those of the groups below it (an exec session's own group
 * sits under its instance's: exec-context.ts), zombies included; [] when it is unreadable or gone.
 */
export function cgroupPids(dir: string): number[] {
  const own = cgroupOwnPids(dir);
  // An empty group still has the groups below it: an exec session's program outlives the handler's own exit.
  if (own === null) return [];
  return own.concat(...childGroups(dir).map((c) => cgroupPids(c)));
}

/**
 * PIDs listed in a group's own cgroup.procs, not in the groups below it, zombies included; null when it is
 * unreadable or gone. Where a handler's own processes are looked for (its daemon, its main): an exec
 * session's program is in the instance's group tree, but it is the operator's, never the handler's.
 */
export function cgroupOwnPids(dir: string): number[] | null {
  const text = readText(path.join(dir, 'cgroup.procs'));
  if (text === null) return null;
  return text
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** The group directories directly under `dir` (full paths); [] when it is absent. */
function childGroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}

/** v2 `cgroup.events` populated (any task left, threads included); null on v1 (no such file) or when gone. */
export function cgroupPopulated(dir: string): boolean | null {
  const m = /^populated (\d)$/m.exec(readText(path.join(dir, 'cgroup.events')) ?? '');
  return m ? m[1] === '1' : null;
}

/**
 * Calls `onChange` on every change of v2 `cgroup.events` in `dir` (the kernel notifies it when `populated`
 * flips) until the returned function is called; null on v1 (no such file) or when it cannot be watched.
 */
export function watchCgroupEvents(dir: string, onChange: () => void): (() => void) | null {
  const file = path.join(dir, 'cgroup.events');
  if (!existsSync(file)) return null;
  let w: FSWatcher;
  try {
    w = watch(file, { persistent: false }, () => onChange());
  } catch {
    return null;
  }
  w.on('error', () => w.close()); // the group was removed: whoever waits polls on
  return () => w.close();
}

/** v2 `cgroup.kill` (SIGKILL to every process in the group, atomically); false where the kernel lacks it. */
export function killCgroup(dir: string): boolean {
  const f = path.join(dir, 'cgroup.kill');
  if (!existsSync(f)) return false;
  try {
    writeFileSync(f, '1');
    return true;
  } catch {
    return false;
  }
}

/**
 * A handle naming only a group (no shim, no process group: PID and PGID 0, which no signal rule accepts),
 * for what is signalled by cgroup alone: processes in one of this agent's groups that no record names.
 */
export function cgroupOnlyHandle(dir: string): Handle {
  return {
    pid: 0,
    pgid: 0,
    start_time: '',
    cmdline_hash: '',
    spawned_at: 0,
    stdout_log: '',
    stderr_log: '',
    exit_file: '',
    spec_hash: '',
    cgroup: dir,
  };
}

/** True for a `cgroupOnlyHandle`: no shim of its own, only its group. */
export function isCgroupOnly(h: Handle): boolean {
  return h.pid === 0 && h.cgroup !== undefined;
}

/** An exec session's group is `<instance group>/exec-<session id>`. */
export const EXEC_SESSION_PREFIX = 'exec-';

export interface TrackingOptions {
  /** The cgroup filesystem root (the agent's --cgroup-root; default /sys/fs/cgroup). */
  root: string;
  /** This agent's directory under `governor/` (one per data dir). */
  scope: string;
  logger: Logger;
  /** /proc/self/cgroup text (tests); default read now. */
  selfCgroup?: string | null;
}

export class CgroupTracking {
  /** Null: tracking is off (process groups only). */
  readonly layout: TrackingLayout | null;
  /** Why tracking is off ('' when on). */
  readonly reason: string;
  private readonly log: Logger;

  constructor(private readonly opts: TrackingOptions) {
    this.log = opts.logger.named('cgroups');
    const self = opts.selfCgroup !== undefined ? opts.selfCgroup : readText('/proc/self/cgroup');
    const layout = detectTracking(opts.root, self);
    let reason = layout ? '' : `no cgroup v2 mount, pids or name=systemd hierarchy under ${opts.root}`;
    if (layout) {
      try {
        mkdirSync(this.scopeDirOf(layout), { recursive: true });
      } catch (err) {
        reason = `cannot create ${this.scopeDirOf(layout)}: ${errorMessage(err)}`;
      }
    }
    this.layout = reason ? null : layout;
    this.reason = reason;
    if (this.layout)
      this.log.info('tracking handlers by cgroup', { version: this.layout.version, dir: this.scopeDir });
    else
      this.log.warn('handlers tracked by process group only: no cgroup can be created', {
        root: opts.root,
        reason,
      });
  }

  private scopeDirOf(l: TrackingLayout): string {
    return path.join(l.base, 'governor', this.opts.scope);
  }

  /** `<base>/governor/<scope>`, or '' when tracking is off. */
  get scopeDir(): string {
    return this.layout ? this.scopeDirOf(this.layout) : '';
  }

  /** Creates instance `key`'s group; its directory, or null when it cannot be made (logged). Never throws. */
  prepare(key: string): string | null {
    const dir = this.dirOf(key);
    if (dir === null) return null;
    try {
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch (err) {
      this.log.warn('cgroup not created; the handler is tracked by its process group', { dir, err });
      return null;
    }
  }

  /** Moves `pid` into group `dir`; false (logged) when refused. */
  join(dir: string, pid: number): boolean {
    try {
      writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
      return true;
    } catch (err) {
      this.log.warn('could not move process into its tracking cgroup', { pid, dir, err });
      return false;
    }
  }

  /**
   * Creates the group of exec session `session` in instance `key` (under the instance's group, so its limits
   * and a stop of the instance reach it; its own, so what the session started can be ended with it, setsid
   * daemons included). Its directory, or null when it cannot be made (logged). Never throws.
   */
  openSession(key: string, session: string): string | null {
    const dir = this.dirOf(key);
    if (dir === null || !existsSync(dir)) return null;
    const own = path.join(dir, `${EXEC_SESSION_PREFIX}${session}`);
    try {
      mkdirSync(own);
      return own;
    } catch (err) {
      this.log.warn('exec session cgroup not created', { dir: own, err });
      return null;
    }
  }

  /** The exec session groups under this agent's instance groups (at start: those of sessions that died with an agent). */
  sessionGroups(): string[] {
    return this.groups().flatMap((g) =>
      childGroups(path.join(this.scopeDir, g)).filter((d) =>
        path.basename(d).startsWith(EXEC_SESSION_PREFIX),
      ),
    );
  }

  /** Removes an emptied group; false while it still has processes (EBUSY) or when it is gone. */
  remove(dir: string): boolean {
    try {
      rmdirSync(dir);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Every process in this agent's instance groups (exec sessions' below them included), whatever the state
   * of their instance: what a main left behind while it is drained is still the handler's.
   */
  pids(): Set<number> {
    return new Set(this.groups().flatMap((g) => cgroupPids(path.join(this.scopeDir, g))));
  }

  /** The names (instance keys) of this agent's groups; [] when tracking is off or none exists. */
  groups(): string[] {
    return this.layout ? groupsIn(this.scopeDir) : [];
  }

  /** Group `key`'s directory (whether or not it exists), or null when tracking is off. */
  dirOf(key: string): string | null {
    return this.layout ? path.join(this.scopeDir, key) : null;
  }

  /**
   * Removes this agent's empty groups (a busy one refuses with EBUSY: next sweep), and its scope directory
   * once that is empty (made again by the next `prepare`); `keep` names groups to leave.
   */
  sweep(keep: ReadonlySet<string> = new Set()): SweepResult {
    return this.layout ? sweepScope(this.scopeDir, keep, this.log) : NOTHING_SWEPT;
  }
}

/** The group directories directly under `scopeDir`; [] when it is absent. */
function groupsIn(scopeDir: string): string[] {
  try {
    return readdirSync(scopeDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** What a sweep did: groups removed, and groups not kept that are still there (busy: a later sweep's). */
export interface SweepResult {
  removed: number;
  left: number;
}

/** Adds up sweeps (of several hierarchies or several sweepers). */
export function addSweeps(results: Iterable<SweepResult>): SweepResult {
  const sum = { removed: 0, left: 0 };
  for (const r of results) {
    sum.removed += r.removed;
    sum.left += r.left;
  }
  return sum;
}

export const NOTHING_SWEPT: Readonly<SweepResult> = Object.freeze({ removed: 0, left: 0 });

/**
 * The one sweep of an agent's scope directory (tracking and limit groups): removes its empty groups but
 * `keep` (a group with processes refuses rmdir with EBUSY and stays for a later sweep: counted in `left`),
 * then the scope directory once it is empty (not tried while groups remain).
 */
export function sweepScope(scopeDir: string, keep: ReadonlySet<string>, log: Logger): SweepResult {
  let removed = 0;
  let left = 0;
  let kept = 0;
  for (const g of groupsIn(scopeDir)) {
    if (keep.has(g)) {
      kept++;
      continue;
    }
    for (const child of childGroups(path.join(scopeDir, g))) {
      try {
        rmdirSync(child); // an exec session's emptied group
      } catch {
        /* still has processes */
      }
    }
    try {
      rmdirSync(path.join(scopeDir, g));
      removed++;
      log.info('cgroup removed', { group: g });
    } catch {
      left++; // still has processes (EBUSY): next sweep
    }
  }
  if (kept + left === 0) {
    try {
      rmdirSync(scopeDir);
    } catch {
      /* absent, or a group made since */
    }
  }
  return { removed, left };
}
