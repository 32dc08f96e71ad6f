/**
 * Discovery (DESIGN §3 observe-only): rules from the agent config (`discover: [{name, pattern | exe,
 * limits?}]`) matched against every process's command line at each scan. A scan stays cheap: one
 * /proc/PID/stat read per PID (the start time proves a cached verdict is about the same process) and the
 * command line only for PIDs not seen before. Matching never touches a process.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../shared/errors.js';
import { parseBytes, parseCpuPercent } from '../../shared/durations.js';
import { listPids, parseProcStat, type ProcStat } from '../../shared/proc.js';
import { isName } from '../../shared/names.js';
import type { LimitsSpec } from '../../shared/spec.js';

/** Default scan interval. */
export const DEFAULT_DISCOVER_INTERVAL_MS = 10_000;
/** A process younger than this may not have exec'd yet: its non-match is not cached. */
const YOUNG_TICKS = 100;
/** Discovered names are `<rule>-<pid>`; a rule name leaves room for the PID (NAME_RE allows 63). */
const RULE_NAME_MAX = 48;

export interface DiscoverRule {
  name: string;
  /** Regex on the full command line (argv joined by spaces). */
  pattern?: RegExp;
  /** Executable basename (argv[0]'s basename). */
  exe?: string;
  limits: LimitsSpec;
}

/** Validates the `discover` config value; errors name the key. */
export function parseDiscoverRules(raw: unknown, where = 'discover'): DiscoverRule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new ValidationError(`${where}: must be a list of {name, pattern | exe, limits?}`);
  const seen = new Set<string>();
  return raw.map((item: unknown, i) => {
    const at = `${where}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new ValidationError(`${at}: must be a map {name, pattern | exe, limits?}`);
    const r = item as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (!['name', 'pattern', 'exe', 'limits'].includes(k))
        throw new ValidationError(`${at}.${k}: unknown key (allowed: name, pattern, exe, limits)`);
    }
    const name = r.name;
    if (!isName(name) || name.length > RULE_NAME_MAX)
      throw new ValidationError(
        `${at}.name: ${JSON.stringify(name)} is not a valid name (lowercase letters, digits, . _ -; max ${RULE_NAME_MAX})`,
      );
    if (seen.has(name)) throw new ValidationError(`${at}.name: duplicate rule name ${name}`);
    seen.add(name);
    if ((r.pattern === undefined) === (r.exe === undefined))
      throw new ValidationError(`${at}: give exactly one of pattern (regex on the command line) or exe`);
    const rule: DiscoverRule = { name, limits: {} };
    if (r.pattern !== undefined) {
      if (typeof r.pattern !== 'string' || r.pattern === '')
        throw new ValidationError(`${at}.pattern: must be a non-empty regex`);
      try {
        rule.pattern = new RegExp(r.pattern);
      } catch (err) {
        throw new ValidationError(`${at}.pattern: ${(err as Error).message}`);
      }
    } else {
      if (typeof r.exe !== 'string' || r.exe === '' || r.exe.includes('/'))
        throw new ValidationError(`${at}.exe: must be an executable name without a path`);
      rule.exe = r.exe;
    }
    if (r.limits !== undefined) {
      const l = r.limits;
      if (typeof l !== 'object' || l === null || Array.isArray(l))
        throw new ValidationError(`${at}.limits: must be a map {cpu, memory}`);
      for (const [k, v] of Object.entries(l)) {
        try {
          if (k === 'cpu') rule.limits.cpu_percent = parseCpuPercent(v as string);
          else if (k === 'memory') rule.limits.memory_bytes = parseBytes(v as string);
          else throw new Error('unknown key (allowed: cpu, memory)');
        } catch (err) {
          throw new ValidationError(`${at}.limits.${k}: ${(err as Error).message}`);
        }
      }
    }
    return rule;
  });
}

/** The rule `argv` matches, if any. */
export function matchRule(rules: readonly DiscoverRule[], argv: readonly string[]): DiscoverRule | null {
  if (argv.length === 0) return null; // kernel threads
  const line = argv.join(' ');
  const exe = path.basename(argv[0] ?? '');
  for (const r of rules) {
    if (r.pattern ? r.pattern.test(line) : r.exe === exe) return r;
  }
  return null;
}

export interface DiscoveryMatch {
  pid: number;
  stat: ProcStat;
  argv: string[];
  rule: DiscoverRule;
}

export interface ScanStats {
  pids: number;
  cmdlineReads: number;
}

/**
 * Scans /proc for processes matching the rules; remembers its verdict per PID. A known PID costs one
 * stat(2) of /proc/PID: its inode number changes when the PID is reused (a new process gets a new /proc
 * inode), and a changed inode is settled by the start time (field 22) before anything is re-read.
 */
export class DiscoveryScanner {
  /** pid → {/proc/PID inode, start time, matched rule name or null}. */
  private readonly seen = new Map<number, { ino: number; start: string; rule: string | null }>();
  lastScan: ScanStats = { pids: 0, cmdlineReads: 0 };

  constructor(readonly rules: readonly DiscoverRule[]) {}

  /**
   * New matches since the last scan. `skip(stat)` excludes processes (the agent, governed handlers);
   * a skipped or matched process is not reported again while it lives.
   */
  scan(skip: (st: ProcStat) => boolean, nowTicks = uptimeTicks()): DiscoveryMatch[] {
    const out: DiscoveryMatch[] = [];
    const pids = listPids();
    const live = new Set<number>();
    let reads = 0;
    for (const pid of pids) {
      let ino: number;
      try {
        ino = statSync(`/proc/${pid}`).ino;
      } catch {
        continue; // gone
      }
      live.add(pid);
      const known = this.seen.get(pid);
      if (known && known.ino === ino) continue;
      const text = readSmall(`/proc/${pid}/stat`);
      if (text === null) continue;
      const st = parseProcStat(pid, text);
      if (st.state === 'Z' || st.state === 'X') continue;
      if (known && known.start === st.startTime) {
        known.ino = ino; // same process, its /proc inode was only recycled
        continue;
      }
      if (skip(st)) {
        this.seen.set(pid, { ino, start: st.startTime, rule: null });
        continue;
      }
      const raw = readSmall(`/proc/${pid}/cmdline`);
      reads++;
      if (raw === null) continue;
      const argv = raw.split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
      const rule = matchRule(this.rules, argv);
      if (rule) {
        this.seen.set(pid, { ino, start: st.startTime, rule: rule.name });
        out.push({ pid, stat: st, argv, rule });
      } else if (nowTicks - Number(st.startTime) >= YOUNG_TICKS) {
        this.seen.set(pid, { ino, start: st.startTime, rule: null });
      }
    }
    for (const pid of this.seen.keys()) if (!live.has(pid)) this.seen.delete(pid);
    this.lastScan = { pids: pids.length, cmdlineReads: reads };
    return out;
  }

  /** Forgets a PID's verdict (e.g. an attach that failed and should be tried again). */
  forget(pid: number): void {
    this.seen.delete(pid);
  }
}

const READ_BUF = Buffer.alloc(8192);
/** Reads a small /proc file with open/read/close into a reused buffer (readFileSync also fstat()s). */
function readSmall(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    let text = '';
    for (;;) {
      const n = readSync(fd, READ_BUF, 0, READ_BUF.length, null);
      text += READ_BUF.toString('utf8', 0, n);
      if (n < READ_BUF.length) return text;
    }
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Clock ticks since boot (the unit of /proc/PID/stat start times; USER_HZ is 100 on Linux). */
export function uptimeTicks(): number {
  try {
    const up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Math.floor(up * 100);
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}
