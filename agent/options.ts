/**
 * Agent options: flags > env (`GOV_MASTER GOV_CA GOV_CERT GOV_KEY GOV_LOG_FORMAT`) > config file (YAML,
 * `--config`) > defaults, compiled once into a validated object with durations in ms — the one place the
 * agent's settings are resolved (like master/options.ts). Nothing below the entry point reads process.env.
 * A bad flag is a usage error naming the flag; a bad config value names the file and the key.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { UsageError } from '../shared/cli-io.js';
import { parseDurationSetting } from '../shared/durations.js';
import { ValidationError, errorMessage } from '../shared/errors.js';
import type { LogLevel } from '../shared/logger.js';
import { readIdentity } from '../shared/cert-identity.js';
import { readSettingsFile } from '../shared/settings-file.js';
import { isName, nameRefusal } from '../shared/names.js';
import * as tls from '../shared/tls.js';
import { parseMasterList } from '../shared/master-list.js';
import { defaultAgentDataDir, LOCAL_SOCKET_FILE } from '../shared/local-socket.js';
import { AUTOGROUP_NICE_RULE, DEFAULT_AUTOGROUP_NICE, isAutogroupNice } from './cpu-share.js';
import { parseDiscoverRules, type DiscoverRule } from './observed/discovery.js';
import { DEFAULT_EXEC_SETTINGS, type ExecSettings } from './exec/exec-sessions.js';
import { parseAgentPolicies, type PolicyRule } from '../shared/policy-rules.js';
import { canonicalPath } from '../shared/private-files.js';
import { Ctx, stringMap } from '../shared/spec-fields.js';
import { DEFAULT_CONTROL_INTERVAL_MS, DEFAULT_POLICY_BUDGET } from './control/control-loop.js';

/** The control loop's interval bounds (host sensors): fast enough to react, slow enough to cost nothing. */
export const CONTROL_INTERVAL_MIN_MS = 100;
export const CONTROL_INTERVAL_MAX_MS = 3_600_000;
/** Policy actions per minute per agent (the global budget). */
export const POLICY_BUDGET_MAX = 10_000;

/** Settings of the agent config file (`gov agent --config FILE`). */
export interface AgentConfigFile {
  id?: string;
  master?: string;
  data_dir?: string;
  ca?: string;
  cert?: string;
  key?: string;
  labels?: Record<string, string>;
  metrics_interval?: string;
  /** Observe-only discovery rules: `[{name, pattern | exe, limits?}]` (validated by parseDiscoverRules). */
  discover?: unknown;
  /** Discovery scan interval (default 10s). */
  discover_interval?: string;
  /** Cgroup filesystem root for handler tracking and advisory limits (default /sys/fs/cgroup). */
  cgroup_root?: string;
  /** The local control socket (default `<data_dir>/gov.sock`; `off`: none). */
  socket?: string;
  /** Group of the control socket: a name or a GID. */
  socket_group?: string | number;
  /** A read-only socket (mode 0666): ps, metrics and logs for every local user. */
  read_only_socket?: string;
  /** gov exec sessions on this agent (default true). */
  exec?: boolean;
  /** Concurrent exec sessions (default 8). */
  exec_max_sessions?: number;
  /** An exec session with no traffic for this long is ended (default 30m). */
  exec_idle_timeout?: string;
  /** Agent-wide resource policy rules (shared/policy-rules.ts parseAgentPolicies). */
  policies?: unknown;
  /** At most this many policy actions per minute on this agent (default 10). */
  policy_budget?: number;
  /** How often host sensors are read for agent-wide rules (default 1s). */
  control_interval?: string;
  /** Rollout steps of handlers with a readiness signal booting at once (default 2 per CPU; 0: not paced). */
  boot_concurrency?: number;
  /** The nice of the agent's own session against its handlers' (agent/cpu-share.ts; default -10; `off`). */
  autogroup_nice?: number | string;
}

const CONFIG_KEYS = [
  'id',
  'master',
  'data_dir',
  'ca',
  'cert',
  'key',
  'labels',
  'metrics_interval',
  'discover',
  'discover_interval',
  'cgroup_root',
  'socket',
  'socket_group',
  'read_only_socket',
  'exec',
  'exec_max_sessions',
  'exec_idle_timeout',
  'policies',
  'policy_budget',
  'control_interval',
  'boot_concurrency',
  'autogroup_nice',
];

const BOOT_CONCURRENCY_RULE = 'must be an integer from 0 (not paced) to 1000';

function isBootConcurrency(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 1000;
}

export function readAgentConfig(file: string): AgentConfigFile {
  const cfg = readSettingsFile(file, CONFIG_KEYS, [
    'metrics_interval',
    'discover_interval',
    'exec_idle_timeout',
    'control_interval',
  ]) as AgentConfigFile;
  if (cfg.exec !== undefined && typeof cfg.exec !== 'boolean')
    throw new ValidationError(`${file}: exec: must be true or false`);
  if (
    cfg.exec_max_sessions !== undefined &&
    !(Number.isInteger(cfg.exec_max_sessions) && cfg.exec_max_sessions >= 1 && cfg.exec_max_sessions <= 1000)
  )
    throw new ValidationError(`${file}: exec_max_sessions: must be an integer from 1 to 1000`);
  // The one rule for a map of strings (as a handler's labels): no `__proto__`, no empty value read as "null".
  if (cfg.labels !== undefined) cfg.labels = stringMap(new Ctx(file), 'labels', cfg.labels);
  parseDiscoverRules(cfg.discover, `${file}: discover`); // refused here, with the file and the key
  if (cfg.policies !== undefined) cfg.policies = parseAgentPolicies(cfg.policies, file, 'policies');
  if (cfg.policy_budget !== undefined && !isBudget(cfg.policy_budget))
    throw new ValidationError(
      `${file}: policy_budget: ${BUDGET_RULE}, not ${JSON.stringify(cfg.policy_budget)}`,
    );
  if (cfg.boot_concurrency !== undefined && !isBootConcurrency(cfg.boot_concurrency))
    throw new ValidationError(
      `${file}: boot_concurrency: ${BOOT_CONCURRENCY_RULE}, not ${JSON.stringify(cfg.boot_concurrency)}`,
    );
  if (
    cfg.autogroup_nice !== undefined &&
    cfg.autogroup_nice !== 'off' &&
    !isAutogroupNice(cfg.autogroup_nice)
  )
    throw new ValidationError(
      `${file}: autogroup_nice: ${AUTOGROUP_NICE_RULE}, not ${JSON.stringify(cfg.autogroup_nice)}`,
    );
  if (cfg.control_interval !== undefined)
    checkControlInterval(parseDurationSetting(cfg.control_interval, `${file}: control_interval`), (m) => {
      throw new ValidationError(`${file}: control_interval: ${m}`);
    });
  return cfg;
}

const BUDGET_RULE = `must be an integer from 1 to ${POLICY_BUDGET_MAX} (actions per minute)`;

function isBudget(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= POLICY_BUDGET_MAX;
}

function checkControlInterval(ms: number, refuse: (message: string) => never): number {
  if (ms < CONTROL_INTERVAL_MIN_MS || ms > CONTROL_INTERVAL_MAX_MS)
    refuse(`must be from ${CONTROL_INTERVAL_MIN_MS}ms to 1h, not ${ms}ms`);
  return ms;
}

/** `region=west,role=web` → map; refuses malformed pairs. */
function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const m = /^([A-Za-z0-9._/-]+)=(.*)$/.exec(part.trim());
    if (!m) throw new UsageError(`--labels: ${JSON.stringify(part)} is not KEY=VALUE`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** `gov agent`'s flags as commander hands them over (camelCase keys). */
export interface AgentFlags {
  handlers?: string;
  dataDir?: string;
  config?: string;
  id?: string;
  master?: string;
  ca?: string;
  cert?: string;
  key?: string;
  labels?: string;
  metricsInterval?: string;
  cgroupRoot?: string;
  discoverInterval?: string;
  logLevel?: string;
  logFormat?: string;
  socket?: string;
  socketGroup?: string;
  readOnlySocket?: string;
  /** commander's `--no-exec`: false when given. */
  exec?: boolean;
  execMaxSessions?: string;
  execIdleTimeout?: string;
  controlInterval?: string;
  policyBudget?: string;
  bootConcurrency?: string;
  autogroupNice?: string;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface ConnectedSettings {
  id: string;
  /** `connection.master` is the first of `masters`. */
  connection: tls.ConnectionSettings;
  /** The masters to dial (several for an HA cluster), checked. */
  masters: string[];
  labels: Record<string, string>;
}

/** Everything `gov agent` runs with, resolved and checked. */
export interface AgentOptions {
  /** Connected to a master; null when standalone on a local handlers file. */
  connected: ConnectedSettings | null;
  /** Standalone: the handlers file (absolute). */
  handlersFile: string | null;
  /** GOV_AGENT for handlers: the connected id, else --id, the config's id, or the hostname. */
  agentId: string;
  dataDir: string;
  metricsIntervalMs: number;
  logLevel: LogLevel;
  logFormat: 'json' | 'text';
  cgroupRoot?: string;
  discover: DiscoverRule[];
  discoverIntervalMs?: number;
  /** The local control socket (absolute); null: none (`--socket off`). */
  socket: string | null;
  /** The socket was asked for (flag or config): failing to open it fails the start (the default only warns). */
  socketRequired: boolean;
  /** Its group (null: the agent's own). */
  socketGid: number | null;
  /** The read-only socket (absolute); null: none. */
  readOnlySocket: string | null;
  /** gov exec on this agent (agent/exec). */
  exec: ExecSettings;
  /** Resource policies (agent/control): agent-wide rules, the action budget, the host sensors' period. */
  policies: PolicyRule[];
  policyBudget: number;
  controlIntervalMs: number;
  /** Rollout steps booting at once (agent/instance/boot-slots.ts); undefined: the default (2 per CPU). */
  bootConcurrency?: number;
  /** The nice the agent gives its own session (agent/cpu-share.ts); null: left as it is. */
  autogroupNice: number | null;
}

/**
 * Works out the agent id (flag, config, or the CN of the given certificate) and the connection settings
 * (`certs/agent-<ID>.crt/.key` by default).
 */
function resolveConnected(
  flags: Pick<AgentFlags, 'id' | 'master' | 'ca' | 'cert' | 'key' | 'labels' | 'config'>,
  cfg: AgentConfigFile,
  env: Record<string, string | undefined>,
  cwd: string,
): ConnectedSettings {
  const certFlag = flags.cert ?? env.GOV_CERT ?? cfg.cert;
  let id = flags.id ?? cfg.id;
  if (!id && certFlag) {
    try {
      id = readIdentity(readFileSync(path.resolve(cwd, certFlag), 'utf8')).cn;
    } catch (err) {
      throw new UsageError(
        `--id is not given and the CN of ${certFlag} cannot be read: ${errorMessage(err)}`,
      );
    }
  }
  if (!id)
    throw new UsageError('--id ID is required (or --cert with the agent certificate whose CN is the id)');
  if (!isName(id)) throw new UsageError(`--id: ${nameRefusal(id, 'agent id')}`);
  const connection = tls.resolveConnection(
    {
      master: flags.master ?? env.GOV_MASTER ?? cfg.master,
      ca: flags.ca ?? env.GOV_CA ?? cfg.ca,
      cert: certFlag,
      key: flags.key ?? env.GOV_KEY ?? cfg.key,
    },
    {},
    { certName: `agent-${id}` },
    cwd,
  );
  const labels = { ...(cfg.labels ?? {}), ...(flags.labels ? parseLabels(flags.labels) : {}) };
  const masters = flags.master
    ? parseMasterList(flags.master, '--master', (m) => new UsageError(m))
    : env.GOV_MASTER
      ? parseMasterList(env.GOV_MASTER, 'GOV_MASTER', (m) => new UsageError(m))
      : cfg.master !== undefined
        ? parseMasterList(String(cfg.master), `${flags.config}: master`, (m) => new ValidationError(m))
        : [connection.master];
  return { id, connection: { ...connection, master: masters[0]! }, masters, labels };
}

/** A duration flag (a usage error naming the flag) over its config key (checked by readAgentConfig). */
function durationSetting(flag: string | undefined, name: string, fromFile: string | undefined, key: string) {
  if (flag !== undefined) return parseDurationSetting(flag, name, (m) => new UsageError(m));
  return fromFile ? parseDurationSetting(fromFile, key) : undefined;
}

/** Flags > env > config file > defaults, compiled. */
export function compileAgentOptions(
  flags: AgentFlags,
  env: Record<string, string | undefined>,
  cwd: string,
): AgentOptions {
  if (flags.handlers && flags.master)
    throw new UsageError('--handlers (standalone) and --master exclude each other');
  if (flags.handlers && !flags.dataDir) throw new UsageError('--data-dir DIR is required');
  if (flags.logLevel && !LOG_LEVELS.includes(flags.logLevel as LogLevel))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const cfg = flags.config ? readAgentConfig(path.resolve(cwd, flags.config)) : {};
  const connected = flags.handlers ? null : resolveConnected(flags, cfg, env, cwd);
  const metricsIntervalMs =
    durationSetting(flags.metricsInterval, '--metrics-interval', cfg.metrics_interval, 'metrics_interval') ??
    5000;
  const root = flags.cgroupRoot ?? cfg.cgroup_root;
  const discoverIntervalMs = durationSetting(
    flags.discoverInterval,
    '--discover-interval',
    cfg.discover_interval,
    'discover_interval',
  );
  const dataDir = flags.dataDir ?? cfg.data_dir;
  // Canonical: the handlers an agent finds (its shims' exit files, its cgroup scope) go by this path, and another
  // spelling of the same directory (through a symlink) must find the same ones.
  const resolvedDataDir = canonicalPath(
    dataDir ? path.resolve(cwd, dataDir) : defaultAgentDataDir(cwd, connected?.id ?? 'local'),
  );
  const socket = flags.socket ?? cfg.socket;
  const group = flags.socketGroup ?? cfg.socket_group;
  const readOnly = flags.readOnlySocket ?? cfg.read_only_socket;
  let maxSessions = cfg.exec_max_sessions ?? DEFAULT_EXEC_SETTINGS.maxSessions;
  if (flags.execMaxSessions !== undefined) {
    maxSessions = Number(flags.execMaxSessions);
    if (!/^[0-9]+$/.test(flags.execMaxSessions) || maxSessions < 1 || maxSessions > 1000)
      throw new UsageError(
        `--exec-max-sessions must be an integer from 1 to 1000, not ${flags.execMaxSessions}`,
      );
  }
  const exec: ExecSettings = {
    ...DEFAULT_EXEC_SETTINGS,
    enabled: flags.exec === false ? false : (cfg.exec ?? true),
    maxSessions,
    idleMs:
      durationSetting(
        flags.execIdleTimeout,
        '--exec-idle-timeout',
        cfg.exec_idle_timeout,
        'exec_idle_timeout',
      ) ?? DEFAULT_EXEC_SETTINGS.idleMs,
  };
  if (socket !== undefined && String(socket).trim() === '')
    throw new UsageError('--socket must be a path or off');
  let bootConcurrency = cfg.boot_concurrency;
  if (flags.bootConcurrency !== undefined) {
    bootConcurrency = Number(flags.bootConcurrency);
    if (!/^[0-9]+$/.test(flags.bootConcurrency) || !isBootConcurrency(bootConcurrency))
      throw new UsageError(`--boot-concurrency ${BOOT_CONCURRENCY_RULE}, not ${flags.bootConcurrency}`);
  }
  let autogroupNice: number | null =
    cfg.autogroup_nice === 'off'
      ? null
      : ((cfg.autogroup_nice as number | undefined) ?? DEFAULT_AUTOGROUP_NICE);
  if (flags.autogroupNice !== undefined) {
    autogroupNice = flags.autogroupNice === 'off' ? null : Number(flags.autogroupNice);
    if (
      autogroupNice !== null &&
      (!/^-?[0-9]+$/.test(flags.autogroupNice) || !isAutogroupNice(autogroupNice))
    )
      throw new UsageError(`--autogroup-nice ${AUTOGROUP_NICE_RULE}, not ${flags.autogroupNice}`);
  }
  let policyBudget = cfg.policy_budget ?? DEFAULT_POLICY_BUDGET;
  if (flags.policyBudget !== undefined) {
    policyBudget = Number(flags.policyBudget);
    if (!/^[0-9]+$/.test(flags.policyBudget) || !isBudget(policyBudget))
      throw new UsageError(`--policy-budget ${BUDGET_RULE}, not ${flags.policyBudget}`);
  }
  const controlIntervalMs = checkControlInterval(
    durationSetting(flags.controlInterval, '--control-interval', cfg.control_interval, 'control_interval') ??
      DEFAULT_CONTROL_INTERVAL_MS,
    (m) => {
      throw flags.controlInterval !== undefined
        ? new UsageError(`--control-interval ${m}`)
        : new ValidationError(`control_interval: ${m}`);
    },
  );
  return {
    connected,
    handlersFile: flags.handlers ? path.resolve(cwd, flags.handlers) : null,
    agentId: connected?.id ?? flags.id ?? cfg.id ?? os.hostname(),
    dataDir: resolvedDataDir,
    socket:
      socket === 'off' ? null : path.resolve(cwd, socket ?? path.join(resolvedDataDir, LOCAL_SOCKET_FILE)),
    socketRequired: socket !== undefined && socket !== 'off',
    socketGid:
      group === undefined
        ? null
        : resolveGroup(String(group), flags.socketGroup !== undefined ? '--socket-group' : 'socket_group'),
    readOnlySocket: readOnly ? path.resolve(cwd, readOnly) : null,
    exec,
    policies: (cfg.policies as PolicyRule[] | undefined) ?? [],
    policyBudget,
    ...(bootConcurrency !== undefined ? { bootConcurrency } : {}),
    autogroupNice,
    controlIntervalMs,
    metricsIntervalMs,
    logLevel: (flags.logLevel as LogLevel | undefined) ?? 'info',
    logFormat: flags.logFormat === 'json' || env.GOV_LOG_FORMAT === 'json' ? 'json' : 'text',
    ...(root ? { cgroupRoot: path.resolve(cwd, root) } : {}),
    discover: parseDiscoverRules(cfg.discover),
    ...(discoverIntervalMs ? { discoverIntervalMs } : {}),
  };
}

/**
 * A group named by GID or by name (looked up in `groupFile`, /etc/group); a usage error naming `what`
 * when it is neither.
 */
export function resolveGroup(text: string, what: string, groupFile = '/etc/group'): number {
  if (/^\d{1,10}$/.test(text)) return Number(text);
  let lines: string[];
  try {
    lines = readFileSync(groupFile, 'utf8').split('\n');
  } catch (err) {
    throw new UsageError(
      `${what} ${JSON.stringify(text)}: ${groupFile} cannot be read (${errorMessage(err)}); give a GID`,
    );
  }
  for (const line of lines) {
    const [name, , gid] = line.split(':');
    if (name === text && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new UsageError(
    `${what} ${JSON.stringify(text)}: no such group in ${groupFile} (give a group name or a GID)`,
  );
}
