/**
 * Handler specs (DESIGN §7): parsing YAML, validating every key, and compiling durations into
 * milliseconds. A refusal names the file, the key path and the reason, and nothing is applied.
 */
import { parseCpuPercent } from './durations.js';
import { parseYamlInput } from './yaml-input.js';
import {
  Ctx,
  absolutePath,
  bool,
  checkKeys,
  duration,
  envMap,
  int,
  MAX_INT_FIELD,
  isObj,
  noNul,
  num,
  oneOf,
  parseSize,
  signal,
  str,
  stringList,
  checkLabelMap,
  stringMap,
  subMap,
} from './spec-fields.js';
import { IDENTITY_KEYS, parseIdentity, type SpecIdentity } from './spec-identity.js';
import type { BackoffSpec } from './backoff.js';
import { parseHandlerPolicies, type PolicyRule } from './policy-rules.js';
import { isName, nameRefusal } from './names.js';
import {
  DEFAULT_UPDATE,
  UPDATE_KEYS,
  checkProgressDeadline,
  checkUpdate,
  compileUpdateFields,
  type UpdateSpec,
} from './update-policy.js';

/** Rotated files kept per log at most: each rotation renames them one by one (a keep of 3e8 froze the agent). */
export const MAX_LOG_KEEP = 1000;

/** Most instances of one handler per agent. */
export const MAX_COUNT = 100;

export type RestartPolicy = 'always' | 'on-failure' | 'never';
export type HandlerMode = 'always-on' | 'on-demand';

export type { BackoffSpec } from './backoff.js';

export interface HealthSpec {
  tcp?: number;
  http?: string;
  exec?: string[];
  interval_ms: number;
  timeout_ms: number;
  healthy_threshold: number;
  unhealthy_threshold: number;
  /** Restart a running instance that turns unhealthy. */
  restart_on_unhealthy: boolean;
}

export interface LimitsSpec {
  /** Percent of one core (150 = 1.5 cores). */
  cpu_percent?: number;
  memory_bytes?: number;
  /** Most tasks (processes and threads) in the handler's cgroup. */
  pids?: number;
}

/**
 * How liveness is judged (DESIGN §9), as systemd's `Type=`: `simple` (the default) — the main process is
 * the handler, and when it exits whatever is left in its cgroup is stopped; `forking` — the program
 * daemonizes: the start succeeds when the first process exits 0, and the instance runs while its cgroup is
 * populated, its main PID the process left (or the one in `pid_file`).
 */
export type ProcessType = 'simple' | 'forking';
export const PROCESS_TYPES = ['simple', 'forking'] as const;
/** The largest `limits.pids` (the kernel's pid_max ceiling). */
export const MAX_PIDS_LIMIT = 4_194_304;

/** What an idle on-demand instance becomes (DESIGN §9): stopped (cold), or frozen by the cgroup freezer. */
export type IdleAction = 'stop' | 'freeze';
export const IDLE_ACTIONS = ['stop', 'freeze'] as const;
/** `idle_cpu` when absent: a tree using more than 1 % of a core over the last sampling window is busy. */
export const DEFAULT_IDLE_CPU_PERCENT = 1;

export interface LogSpec {
  max_bytes: number;
  keep: number;
}

/**
 * A fully validated handler spec: every field present (the identity keys only when set: spec-identity.ts),
 * durations in ms.
 */
export interface HandlerSpec extends SpecIdentity {
  name: string;
  /** Instances per assigned agent (replicas), default 1. */
  count: number;
  agents: string[];
  selector: Record<string, string>;
  command: string[];
  cwd?: string;
  env: Record<string, string>;
  restart: RestartPolicy;
  start_seconds: number;
  start_retries: number;
  backoff: BackoffSpec;
  stop_signal: NodeJS.Signals;
  stop_timeout_ms: number;
  mode: HandlerMode;
  idle_timeout_ms: number;
  health?: HealthSpec;
  limits: LimitsSpec;
  update: UpdateSpec;
  labels: Record<string, string>;
  log: LogSpec;
  /** Absent: `simple` (kept absent so specs written before the key hash as they did). */
  type?: ProcessType;
  /** `type: forking` only: absolute path of the daemon's PID file. */
  pid_file?: string;
  /**
   * sd_notify (DESIGN §9): the handler gets `NOTIFY_SOCKET`; `READY=1` (not `start_seconds`) makes it
   * `running`. Absent = false (every optional key below is kept absent when unset, so specs written
   * before it hash as they did).
   */
  notify?: boolean;
  /**
   * `notify: true` or `type: forking` only: a start not confirmed (READY=1, or the first process's exit)
   * this long after the spawn fails (systemd's TimeoutStartSec); absent: the agent's default, 90 s.
   */
  start_timeout_ms?: number;
  /** `notify: true` only: restart when no `WATCHDOG=1` came for this long (`WATCHDOG_USEC` is set). */
  watchdog_ms?: number;
  /** On-demand only: CPU (percent of one core) above which the process tree counts as busy. */
  idle_cpu_percent?: number;
  /** On-demand only: stop (default) or freeze an idle instance. */
  idle_action?: IdleAction;
  /** `idle_action: freeze` only: a frozen instance is stopped after this long frozen. */
  frozen_timeout_ms?: number;
  /** Resource policies (shared/policy-rules.ts); absent or empty: none. */
  policies?: PolicyRule[];
}

const HANDLER_KEYS = [
  'name',
  'count',
  'agents',
  'selector',
  'command',
  'cwd',
  'env',
  'restart',
  'start_seconds',
  'start_retries',
  'backoff',
  'stop_signal',
  'stop_timeout',
  'mode',
  'idle_timeout',
  'health',
  'limits',
  'update',
  'labels',
  'log',
  'type',
  'pid_file',
  'notify',
  'start_timeout',
  'watchdog',
  'idle_cpu',
  'idle_action',
  'frozen_timeout',
  'policies',
  ...IDENTITY_KEYS,
] as const;

function parseHealth(ctx: Ctx, at: string, v: unknown): HealthSpec {
  if (!isObj(v)) return ctx.fail(at, 'must be a map with one of tcp, http, exec');
  checkKeys(ctx, at, v, [
    'tcp',
    'http',
    'exec',
    'interval',
    'timeout',
    'healthy_threshold',
    'unhealthy_threshold',
    'restart_on_unhealthy',
  ]);
  const kinds = ['tcp', 'http', 'exec'].filter((k) => v[k] !== undefined);
  if (kinds.length !== 1) ctx.fail(at, 'needs exactly one of tcp, http, exec');
  const h: HealthSpec = {
    interval_ms: v.interval === undefined ? 2000 : duration(ctx, `${at}.interval`, v.interval),
    timeout_ms: v.timeout === undefined ? 1000 : duration(ctx, `${at}.timeout`, v.timeout),
    healthy_threshold:
      v.healthy_threshold === undefined ? 1 : int(ctx, `${at}.healthy_threshold`, v.healthy_threshold, 1),
    unhealthy_threshold:
      v.unhealthy_threshold === undefined
        ? 3
        : int(ctx, `${at}.unhealthy_threshold`, v.unhealthy_threshold, 1),
    restart_on_unhealthy:
      v.restart_on_unhealthy === undefined
        ? false
        : bool(ctx, `${at}.restart_on_unhealthy`, v.restart_on_unhealthy),
  };
  if (v.tcp !== undefined) h.tcp = int(ctx, `${at}.tcp`, v.tcp, 1);
  if (h.tcp !== undefined && h.tcp > 65535) ctx.fail(`${at}.tcp`, `${h.tcp} is not a port`);
  if (v.http !== undefined) {
    const url = str(ctx, `${at}.http`, v.http);
    if (!/^https?:\/\/\S+$/.test(url)) ctx.fail(`${at}.http`, `${JSON.stringify(url)} is not an http(s) URL`);
    h.http = url;
  }
  if (v.exec !== undefined) {
    h.exec = stringList(ctx, `${at}.exec`, v.exec);
    if (h.exec.length === 0) ctx.fail(`${at}.exec`, 'must not be empty');
  }
  if (h.interval_ms <= 0) ctx.fail(`${at}.interval`, 'must be greater than 0');
  return h;
}

/** An absolute http(s) URL as the probe will parse it (a port over 65535, a broken host: refused). */
function isHttpUrl(url: string): boolean {
  if (!/^https?:\/\/\S+$/.test(url)) return false;
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function parseUpdate(ctx: Ctx, at: string, v: unknown): UpdateSpec {
  if (!isObj(v)) return ctx.fail(at, 'must be a map');
  checkKeys(ctx, at, v, UPDATE_KEYS);
  const refuse = (key: string, reason: string): never => ctx.fail(`${at}.${key}`, reason);
  return checkUpdate({ ...DEFAULT_UPDATE, ...compileUpdateFields(v, refuse) }, refuse);
}

/** Key of a handler's instance on an agent: the handler name for index 0, `name#i` for the others. */
export function instanceKey(handler: string, index: number): string {
  return index === 0 ? handler : `${handler}#${index}`;
}

/**
 * The key that names exactly one instance, replica 0 included: `web#0` for index 0 (instanceKey's `web` is
 * also the handler's name, which means every instance of it), `web#1` for the others.
 */
export function exactInstanceKey(key: string): string {
  const { handler, index } = parseInstanceKey(key);
  return `${handler}#${index}`;
}

/** Inverse of instanceKey (and of exactInstanceKey). */
export function parseInstanceKey(key: string): { handler: string; index: number } {
  const m = /^(.*)#(\d+)$/.exec(key);
  return m ? { handler: m[1]!, index: Number(m[2]) } : { handler: key, index: 0 };
}

/** Validates one handler object (already parsed from YAML/JSON). `at` is its key path, e.g. `handlers[1]`. */
export function parseHandler(raw: unknown, at: string, file = '<spec>'): HandlerSpec {
  const ctx = new Ctx(file);
  if (!isObj(raw)) return ctx.fail(at, 'must be a map');
  checkKeys(ctx, at, raw, HANDLER_KEYS);
  const name = raw.name;
  if (!isName(name)) return ctx.fail(`${at}.name`, nameRefusal(name));
  if (raw.command === undefined) ctx.fail(`${at}.command`, 'is required');
  const command =
    typeof raw.command === 'string'
      ? commandWords(ctx, `${at}.command`, noNul(ctx, `${at}.command`, raw.command))
      : stringList(ctx, `${at}.command`, raw.command);
  if (command.length === 0) ctx.fail(`${at}.command`, 'must not be empty');
  const agents = raw.agents === undefined ? [] : stringList(ctx, `${at}.agents`, raw.agents);
  for (const [i, a] of agents.entries())
    if (!isName(a)) ctx.fail(`${at}.agents[${i}]`, nameRefusal(a, 'agent id'));
  const backoffRaw = subMap(ctx, `${at}.backoff`, raw.backoff);
  checkKeys(ctx, `${at}.backoff`, backoffRaw, ['initial', 'max', 'factor', 'jitter']);
  const limitsRaw = subMap(ctx, `${at}.limits`, raw.limits);
  checkKeys(ctx, `${at}.limits`, limitsRaw, ['cpu', 'memory', 'pids']);
  const logRaw = subMap(ctx, `${at}.log`, raw.log);
  checkKeys(ctx, `${at}.log`, logRaw, ['max_size', 'keep']);

  const spec: HandlerSpec = {
    name,
    count: raw.count === undefined ? 1 : int(ctx, `${at}.count`, raw.count, 1),
    agents,
    selector: raw.selector === undefined ? {} : stringMap(ctx, `${at}.selector`, raw.selector),
    command,
    env: raw.env === undefined ? {} : envMap(ctx, `${at}.env`, raw.env),
    restart:
      raw.restart === undefined
        ? 'always'
        : oneOf(ctx, `${at}.restart`, raw.restart, ['always', 'on-failure', 'never'] as const),
    start_seconds:
      raw.start_seconds === undefined ? 1 : num(ctx, `${at}.start_seconds`, raw.start_seconds, 0, 3600),
    start_retries:
      raw.start_retries === undefined ? 3 : int(ctx, `${at}.start_retries`, raw.start_retries, 0),
    backoff: {
      initial_ms:
        backoffRaw.initial === undefined ? 1000 : duration(ctx, `${at}.backoff.initial`, backoffRaw.initial),
      max_ms: backoffRaw.max === undefined ? 60_000 : duration(ctx, `${at}.backoff.max`, backoffRaw.max),
      factor:
        backoffRaw.factor === undefined ? 2 : num(ctx, `${at}.backoff.factor`, backoffRaw.factor, 1, 100),
      jitter:
        backoffRaw.jitter === undefined ? 0.1 : num(ctx, `${at}.backoff.jitter`, backoffRaw.jitter, 0, 1),
    },
    stop_signal:
      raw.stop_signal === undefined ? 'SIGTERM' : signal(ctx, `${at}.stop_signal`, raw.stop_signal),
    stop_timeout_ms:
      raw.stop_timeout === undefined ? 10_000 : duration(ctx, `${at}.stop_timeout`, raw.stop_timeout),
    mode:
      raw.mode === undefined
        ? 'always-on'
        : oneOf(ctx, `${at}.mode`, raw.mode, ['always-on', 'on-demand'] as const),
    idle_timeout_ms:
      raw.idle_timeout === undefined ? 300_000 : duration(ctx, `${at}.idle_timeout`, raw.idle_timeout),
    limits: {},
    update: raw.update === undefined ? { ...DEFAULT_UPDATE } : parseUpdate(ctx, `${at}.update`, raw.update),
    labels: raw.labels === undefined ? {} : stringMap(ctx, `${at}.labels`, raw.labels),
    log: {
      max_bytes:
        logRaw.max_size === undefined
          ? 10 * 1024 * 1024
          : parseSize(ctx, `${at}.log.max_size`, logRaw.max_size),
      keep: logRaw.keep === undefined ? 3 : int(ctx, `${at}.log.keep`, logRaw.keep, 0),
    },
  };
  if (raw.cwd !== undefined) spec.cwd = absolutePath(ctx, `${at}.cwd`, raw.cwd);
  Object.assign(spec, parseIdentity(ctx, at, raw, spec.env));
  if (raw.health !== undefined) spec.health = parseHealth(ctx, `${at}.health`, raw.health);
  if (limitsRaw.cpu !== undefined) {
    try {
      spec.limits.cpu_percent = parseCpuPercent(limitsRaw.cpu as string);
    } catch (e) {
      ctx.fail(`${at}.limits.cpu`, (e as Error).message);
    }
  }
  if (limitsRaw.memory !== undefined)
    spec.limits.memory_bytes = parseSize(ctx, `${at}.limits.memory`, limitsRaw.memory);
  if (limitsRaw.pids !== undefined) {
    spec.limits.pids = int(ctx, `${at}.limits.pids`, limitsRaw.pids, 1);
    if (spec.limits.pids > MAX_PIDS_LIMIT)
      ctx.fail(`${at}.limits.pids`, `${spec.limits.pids} is more than ${MAX_PIDS_LIMIT}`);
  }
  if (raw.type !== undefined) spec.type = oneOf(ctx, `${at}.type`, raw.type, PROCESS_TYPES);
  if (raw.pid_file !== undefined) {
    spec.pid_file = absolutePath(ctx, `${at}.pid_file`, raw.pid_file);
    if (spec.type !== 'forking') ctx.fail(`${at}.pid_file`, 'only applies to type: forking');
  }
  parseActivity(ctx, at, raw, spec);
  if (spec.count > MAX_COUNT)
    ctx.fail(`${at}.count`, `${spec.count} is more than ${MAX_COUNT} instances per agent`);
  if (spec.backoff.max_ms < spec.backoff.initial_ms)
    ctx.fail(`${at}.backoff.max`, 'must not be less than backoff.initial');
  if (raw.idle_timeout !== undefined && spec.mode !== 'on-demand')
    ctx.fail(`${at}.idle_timeout`, 'only applies to mode: on-demand');
  const policies = parseHandlerPolicies(raw.policies, file, `${at}.policies`, spec.mode);
  if (policies.length > 0) spec.policies = policies;
  return spec;
}

/** sd_notify and on-demand activity keys: each only where it means something. */
function parseActivity(ctx: Ctx, at: string, raw: Record<string, unknown>, spec: HandlerSpec): void {
  if (raw.notify !== undefined) spec.notify = bool(ctx, `${at}.notify`, raw.notify);
  if (raw.start_timeout !== undefined) {
    spec.start_timeout_ms = duration(ctx, `${at}.start_timeout`, raw.start_timeout);
    if (spec.start_timeout_ms <= 0) ctx.fail(`${at}.start_timeout`, 'must be greater than 0');
    if (spec.notify !== true && spec.type !== 'forking')
      ctx.fail(`${at}.start_timeout`, 'only applies to notify: true or type: forking');
  }
  if (raw.watchdog !== undefined) {
    spec.watchdog_ms = duration(ctx, `${at}.watchdog`, raw.watchdog);
    if (spec.watchdog_ms <= 0) ctx.fail(`${at}.watchdog`, 'must be greater than 0');
    if (spec.notify !== true) ctx.fail(`${at}.watchdog`, 'only applies to notify: true');
  }
  const onDemandOnly = (key: string): void => {
    if (spec.mode !== 'on-demand') ctx.fail(`${at}.${key}`, 'only applies to mode: on-demand');
  };
  if (raw.idle_cpu !== undefined) {
    try {
      spec.idle_cpu_percent = parseCpuPercent(raw.idle_cpu as string);
    } catch {
      ctx.fail(`${at}.idle_cpu`, `${JSON.stringify(raw.idle_cpu)} is not a CPU share (use e.g. 1%, 0.5%)`);
    }
    onDemandOnly('idle_cpu');
  }
  if (raw.idle_action !== undefined) {
    spec.idle_action = oneOf(ctx, `${at}.idle_action`, raw.idle_action, IDLE_ACTIONS);
    onDemandOnly('idle_action');
  }
  if (raw.frozen_timeout !== undefined) {
    spec.frozen_timeout_ms = duration(ctx, `${at}.frozen_timeout`, raw.frozen_timeout);
    if (spec.frozen_timeout_ms <= 0) ctx.fail(`${at}.frozen_timeout`, 'must be greater than 0');
    if (spec.idle_action !== 'freeze')
      ctx.fail(`${at}.frozen_timeout`, 'only applies to idle_action: freeze');
  }
}

/** Parses a handlers file (`handlers: [...]`) from YAML text. Throws ValidationError naming file, key and reason. */
/** Values of a handlers file that are strings whatever they look like: kept as written (parseYamlInput). */
const SPEC_TEXT_VALUES = /^handlers\[\d+\]\.(env|labels|selector)\.[^[\]]+$/;

/**
 * What a spec as written now must also be, beyond the apply validator (parseHandler) that stored specs and
 * specs on the wire pass: labels that a selector can name (shared/labels.ts), placement by `agents` or by
 * `selector`, not both (the selector would be ignored), and the bounds added later (integers that fit the
 * wire, at most MAX_LOG_KEEP rotated logs, a health check that can pass, a progress deadline that leaves
 * room). Checked on handlers files that are applied
 * (`gov apply -f`, the master's Apply), where a refusal changes nothing; not on a stored spec (it still
 * loads and still reaches its agents) nor on an agent's --handlers file (an agent must not stop starting
 * over a file an older version accepted).
 */
function checkWritten(ctx: Ctx, at: string, spec: HandlerSpec): void {
  // Integers travel as uint32: a larger one reached the agent as another number (a threshold of 2^32 as 0,
  // which then failed every APPLY to it).
  for (const [key, v] of [
    ['start_retries', spec.start_retries],
    ['health.healthy_threshold', spec.health?.healthy_threshold],
    ['health.unhealthy_threshold', spec.health?.unhealthy_threshold],
  ] as const)
    if (v !== undefined && v > MAX_INT_FIELD) ctx.fail(`${at}.${key}`, `${v} is more than ${MAX_INT_FIELD}`);
  // Each rotation renames the kept files one by one (a keep of 3e8 froze the agent).
  if (spec.log.keep > MAX_LOG_KEEP)
    ctx.fail(`${at}.log.keep`, `${spec.log.keep} is more than ${MAX_LOG_KEEP}`);
  if (spec.health) {
    // 0 turned a tcp probe's timeout off (a probe could hang for ever) and failed every http probe at once.
    if (spec.health.timeout_ms <= 0) ctx.fail(`${at}.health.timeout`, 'must be greater than 0');
    const url = spec.health.http;
    if (url !== undefined && !isHttpUrl(url))
      ctx.fail(`${at}.health.http`, `${JSON.stringify(url)} is not an http(s) URL`);
  }
  checkProgressDeadline(spec.update, (key, reason) => ctx.fail(`${at}.update.${key}`, reason));
  checkLabelMap(ctx, `${at}.labels`, spec.labels);
  checkLabelMap(ctx, `${at}.selector`, spec.selector);
  if (spec.agents.length > 0 && Object.keys(spec.selector).length > 0)
    ctx.fail(
      `${at}.selector`,
      'cannot be given with agents: a handler runs on the agents listed, or on those whose labels match the selector',
    );
}

export function parseHandlersFile(
  text: string,
  file: string,
  /** Also the rules for a spec written now (`checkWritten`): true for what is applied. */
  written = true,
): HandlerSpec[] {
  const ctx = new Ctx(file);
  const root = parseYamlInput(text, file, SPEC_TEXT_VALUES);
  if (!isObj(root)) return ctx.fail('(root)', 'must be a map with a `handlers` list');
  checkKeys(ctx, '(root)', root, ['handlers']);
  if (!Array.isArray(root.handlers)) return ctx.fail('handlers', 'must be a list');
  const specs = root.handlers.map((h, i) => parseHandler(h, `handlers[${i}]`, file));
  if (written) specs.forEach((s, i) => checkWritten(ctx, `handlers[${i}]`, s));
  const seen = new Set<string>();
  for (const [i, s] of specs.entries()) {
    if (seen.has(s.name)) ctx.fail(`handlers[${i}].name`, `duplicate handler name ${JSON.stringify(s.name)}`);
    seen.add(s.name);
  }
  return specs;
}

/**
 * A command given as one string: its words split at white space, nothing else. Quotes, backslashes and what
 * a shell would read ($, globs, pipes, redirections…) would be kept as they are, not as a shell means them:
 * refused, naming the list form.
 */
function commandWords(ctx: Ctx, at: string, text: string): string[] {
  const special = /["'\\$`|&;<>(){}*?[\]~#]/.exec(text);
  if (special)
    ctx.fail(
      at,
      `${JSON.stringify(text)}: a command string is only split at spaces, and ${JSON.stringify(special[0])} would ` +
        `be passed on as it is — give a list (command: [prog, arg]), or [sh, -c, "…"] for what a shell does`,
    );
  return text.trim().split(/\s+/).filter(Boolean);
}
