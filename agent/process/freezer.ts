/**
 * The cgroup freezer (`idle_action: freeze`): pauses every process of a handler at once — same PIDs, memory
 * kept, no CPU — and thaws it. One interface, two kernels, detected ONCE at agent start:
 * - v2 (the tracking layout is cgroup v2, cgroup-tracking.ts): `cgroup.freeze` in the instance's own
 *   tracking group (the handle's `cgroup`); frozen once `cgroup.events` says `frozen 1`.
 * - v1 (a `freezer` hierarchy under the cgroup root): `<root>/freezer/governor/<scope>/<instance>`, which a
 *   spawn joins like the other v1 controllers (`prepare` gives its cgroup.procs to cgroups-backend.ts);
 *   `freezer.state` FROZEN / THAWED (it reads FREEZING until every task stopped).
 * Both are found again by path after an agent restart; the kernel's state is the truth (`isFrozen`).
 * v1 only: the kernel turns its freezer on and off for the whole host (a static key: code patched on every
 * CPU) when the first group freezes and the last one thaws — 10 to 40 ms on a busy host, most of a lone
 * handler's thaw. An empty group of the agent's own, `governor/<scope>.anchor`, is kept FROZEN from the
 * first freezable spawn until the agent shuts down, so a freeze or thaw is one cheap write (≈0.2 ms).
 * None (no v2 tracking group, no v1 freezer): `kind` null and `reason` says why; callers fall back to
 * stopping. Nothing here throws: a refusal is a returned reason.
 */
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Handle } from './backend.js';
import {
  NOTHING_SWEPT,
  cgroupPids,
  readText,
  sweepScope,
  type SweepResult,
  type TrackingLayout,
} from './cgroup-tracking.js';

/** How long a freeze may take before it is given up (and the group thawed again). */
export const FREEZE_TIMEOUT_MS = 5_000;
/** Polling interval while the kernel freezes or thaws a group. */
const FREEZE_POLL_MS = 2;

export type FreezerKind = 'v1' | 'v2';

/** What a freeze did: `frozen`, or not (`reason`; the group is thawed again, nothing is left half-frozen). */
export type FreezeOutcome = { frozen: true } | { frozen: false; reason: string };

export interface Freezer {
  /** Null: no freezer is usable on this host (`reason` says why). */
  readonly kind: FreezerKind | null;
  readonly reason: string;
  /** v1: creates instance `key`'s freezer group and returns its cgroup.procs for the spawn to join; else null. */
  prepare(key: string): string | null;
  /** Why instance `key` (handle `h`) cannot be frozen, or null when it can. */
  unfreezable(key: string, h: Handle): string | null;
  /** Freezes the whole handler; resolves once the kernel says every task is frozen. */
  freeze(key: string, h: Handle): Promise<FreezeOutcome>;
  /** Thaws it (a group that is not frozen stays as it is); resolves once the kernel says it is thawed. */
  thaw(key: string, h: Handle): Promise<void>;
  /** The kernel's word: is instance `key`'s group frozen (or freezing) now? */
  isFrozen(key: string, h: Handle): boolean;
  /** Removes this agent's empty v1 freezer groups but `keep` (the housekeeping sweep). */
  sweep(keep?: ReadonlySet<string>): SweepResult;
  /** Agent shutdown: removes the v1 anchor group (see the file comment). */
  close(): void;
}

export interface FreezerOptions {
  /** The cgroup filesystem root (the agent's --cgroup-root). */
  root: string;
  /** This agent's directory under `governor/` (one per data dir). */
  scope: string;
  /** The tracking layout (cgroup-tracking.ts); null: tracking is off. */
  tracking: TrackingLayout | null;
  logger: Logger;
}

/** A v1 freezer hierarchy is mounted at `dir` (its root group has `cgroup.procs` and no cgroup.controllers). */
function v1FreezerAt(dir: string): boolean {
  return existsSync(path.join(dir, 'cgroup.procs')) && !existsSync(path.join(dir, 'cgroup.controllers'));
}

/** Which freezer to use under `root` given the tracking layout, or why none. */
export function detectFreezer(
  root: string,
  tracking: TrackingLayout | null,
): { kind: FreezerKind; base: string } | { kind: null; reason: string } {
  if (tracking?.version === 2) return { kind: 'v2', base: tracking.base };
  const v1 = path.join(root, 'freezer');
  if (v1FreezerAt(v1)) return { kind: 'v1', base: v1 };
  return {
    kind: null,
    reason: `no cgroup v2 tracking group and no v1 freezer hierarchy under ${root}`,
  };
}

export class CgroupFreezer implements Freezer {
  readonly kind: FreezerKind | null;
  readonly reason: string;
  private readonly base: string;
  private readonly log: Logger;
  /** v1: the anchor group (see the file comment): not yet made, made FROZEN, or refused (not tried again). */
  private anchorState: 'none' | 'frozen' | 'refused' = 'none';

  constructor(private readonly opts: FreezerOptions) {
    this.log = opts.logger.named('freezer');
    const d = detectFreezer(opts.root, opts.tracking);
    this.kind = d.kind;
    this.reason = d.kind === null ? d.reason : '';
    this.base = d.kind === null ? '' : d.base;
  }

  /** v1: `<root>/freezer/governor/<scope>`. */
  private get scopeDir(): string {
    return path.join(this.base, 'governor', this.opts.scope);
  }

  /** The directory whose freezer file pauses instance `key` (v2: the handle's tracking group). */
  private dirOf(key: string, h: Handle): string | null {
    if (this.kind === 'v2') return h.cgroup ?? null;
    if (this.kind === 'v1') return path.join(this.scopeDir, key);
    return null;
  }

  prepare(key: string): string | null {
    if (this.kind !== 'v1') return null;
    this.anchor();
    const dir = path.join(this.scopeDir, key);
    try {
      mkdirSync(dir, { recursive: true });
      return path.join(dir, 'cgroup.procs');
    } catch (err) {
      this.log.warn('freezer cgroup not created; this handler cannot be frozen', { dir, err });
      return null;
    }
  }

  unfreezable(key: string, h: Handle): string | null {
    if (this.kind === null) return this.reason;
    const dir = this.dirOf(key, h);
    if (!dir) return 'the handler has no tracking cgroup of its own (it was spawned without one)';
    const file = path.join(dir, this.kind === 'v2' ? 'cgroup.freeze' : 'freezer.state');
    if (!existsSync(file)) return `${file} does not exist`;
    // v1: the handler joined its freezer group at spawn; one spawned before the freezer was wanted did not.
    if (this.kind === 'v1' && !cgroupPids(dir).includes(h.pid))
      return `the handler's shim (pid ${h.pid}) is not in ${dir} (spawned before idle_action: freeze)`;
    return null;
  }

  async freeze(key: string, h: Handle): Promise<FreezeOutcome> {
    const why = this.unfreezable(key, h);
    if (why) return { frozen: false, reason: why };
    const dir = this.dirOf(key, h)!;
    this.anchor();
    try {
      this.write(dir, true);
    } catch (err) {
      return { frozen: false, reason: `cannot freeze ${dir}: ${errorMessage(err)}` };
    }
    const deadline = Date.now() + FREEZE_TIMEOUT_MS;
    while (this.state(dir) !== 'frozen') {
      if (Date.now() > deadline) {
        await this.thaw(key, h);
        return {
          frozen: false,
          reason: `${dir} was not frozen within ${FREEZE_TIMEOUT_MS} ms; thawed again`,
        };
      }
      await sleep(FREEZE_POLL_MS);
    }
    return { frozen: true };
  }

  async thaw(key: string, h: Handle): Promise<void> {
    const dir = this.dirOf(key, h);
    if (!dir || this.state(dir) === 'thawed') return;
    this.anchor();
    try {
      this.write(dir, false);
    } catch (err) {
      this.log.error('thaw refused', { dir, err });
      return;
    }
    const deadline = Date.now() + FREEZE_TIMEOUT_MS;
    while (this.state(dir) !== 'thawed' && Date.now() < deadline) await sleep(FREEZE_POLL_MS);
  }

  isFrozen(key: string, h: Handle): boolean {
    const dir = this.dirOf(key, h);
    return dir !== null && this.state(dir) !== 'thawed';
  }

  sweep(keep: ReadonlySet<string> = new Set()): SweepResult {
    return this.kind === 'v1' ? sweepScope(this.scopeDir, keep, this.log) : NOTHING_SWEPT;
  }

  close(): void {
    if (this.anchorState !== 'frozen') return;
    this.anchorState = 'none';
    try {
      this.write(this.anchorDir, false);
      rmdirSync(this.anchorDir);
    } catch (err) {
      this.log.warn('freezer anchor group not removed', { dir: this.anchorDir, err });
    }
  }

  private get anchorDir(): string {
    return path.join(this.base, 'governor', `${this.opts.scope}.anchor`);
  }

  /** v1: makes the anchor group and freezes it, once (see the file comment); without it only slower. */
  private anchor(): void {
    if (this.kind !== 'v1' || this.anchorState !== 'none') return;
    try {
      mkdirSync(this.anchorDir, { recursive: true });
      this.write(this.anchorDir, true);
      this.anchorState = 'frozen';
    } catch (err) {
      this.anchorState = 'refused';
      this.log.warn('freezer anchor group not made: freezing and thawing are slower', { err });
    }
  }

  private write(dir: string, frozen: boolean): void {
    if (this.kind === 'v2') writeFileSync(path.join(dir, 'cgroup.freeze'), frozen ? '1' : '0');
    else writeFileSync(path.join(dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
  }

  /**
   * The group's freezer state: v2 `cgroup.freeze` is what was asked and `cgroup.events` `frozen` what the
   * kernel reached; v1 `freezer.state` reads FREEZING until every task stopped. A missing file: thawed.
   */
  private state(dir: string): 'frozen' | 'freezing' | 'thawed' {
    if (this.kind === 'v2') {
      const asked = readText(path.join(dir, 'cgroup.freeze'))?.trim() === '1';
      const done = /^frozen 1$/m.test(readText(path.join(dir, 'cgroup.events')) ?? '');
      return done ? 'frozen' : asked ? 'freezing' : 'thawed';
    }
    const s = readText(path.join(dir, 'freezer.state'))?.trim();
    return s === 'FROZEN' ? 'frozen' : s === 'FREEZING' ? 'freezing' : 'thawed';
  }
}

/** The freezer of an agent with none set up (tests that build instances without a supervisor). */
export const NO_FREEZER: Freezer = {
  kind: null,
  reason: 'no freezer set up',
  prepare: () => null,
  unfreezable: () => 'no freezer set up',
  freeze: () => Promise.resolve({ frozen: false, reason: 'no freezer set up' }),
  thaw: () => Promise.resolve(),
  isFrozen: () => false,
  sweep: () => NOTHING_SWEPT,
  close: () => {},
};
