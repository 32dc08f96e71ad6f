/**
 * Master options: flags > env (`GOV_CA GOV_CERT GOV_KEY`) > config file (YAML) > defaults, compiled once
 * into a validated object with durations in ms. Nothing below the entry point reads process.env.
 */
import { BlockList, isIP } from 'node:net';
import path from 'node:path';

import { MAX_TIMER_MS, parseDurationSetting } from '../shared/durations.js';
import { readSettingsFile } from '../shared/settings-file.js';
import { UsageError } from '../shared/cli-io.js';
import { ValidationError } from '../shared/errors.js';
import { hostOf } from '../shared/tls.js';
import {
  HA_DURATION_KEYS,
  HA_KEYS,
  compileHaOptions,
  type HaOptions,
  type HaUserOptions,
} from './ha/ha-options.js';

export interface MasterOptions {
  listen: string;
  http: string;
  /** `--http` may bind a non-loopback address (plaintext, no authentication: logged as a warning). */
  httpInsecure: boolean;
  dataDir: string;
  ca: string;
  cert: string;
  key: string;
  executionLogSize: number;
  heartbeatIntervalMs: number;
  heartbeatGraceMs: number;
  metricsIntervalMs: number;
  commandTimeoutMs: number;
  /** Kept watch events held for resume (`--watch-events`, watch_events). */
  watchEvents: number;
  /** Live events one watcher may have waiting before it is dropped (`--watch-buffer`, watch_buffer). */
  watchBuffer: number;
  /** How far back the per-instance metrics history goes (`--metrics-history`, metrics_history). */
  metricsHistoryMs: number;
  /** At most this many instances get per-instance series on /metrics (the rest are counted). */
  metricsInstances: number;
  /** The store (`--store file|etcd`) and, with etcd, the HA settings (master/ha/ha-options.ts). */
  ha: HaOptions;
}

/** Default of `--metrics-instances` (settings key metrics_instances). */
export const DEFAULT_METRICS_INSTANCES = 10_000;
/** The largest `--metrics-instances` accepted. */
const MAX_METRICS_INSTANCES = 1_000_000;

export interface MasterUserOptions extends HaUserOptions {
  listen?: string;
  http?: string;
  http_insecure?: boolean;
  data_dir?: string;
  ca?: string;
  cert?: string;
  key?: string;
  execution_log_size?: number;
  heartbeat_interval?: string;
  heartbeat_grace?: string;
  metrics_interval?: string;
  command_timeout?: string;
  watch_events?: number;
  watch_buffer?: number;
  metrics_history?: string;
  metrics_instances?: number;
}

const KEYS = [
  'listen',
  'http',
  'http_insecure',
  'data_dir',
  'ca',
  'cert',
  'key',
  'execution_log_size',
  'heartbeat_interval',
  'heartbeat_grace',
  'metrics_interval',
  'command_timeout',
  'watch_events',
  'watch_buffer',
  'metrics_history',
  'metrics_instances',
  ...HA_KEYS,
];

const DURATION_KEYS = [
  'heartbeat_interval',
  'heartbeat_grace',
  'metrics_interval',
  'command_timeout',
  'metrics_history',
  ...HA_DURATION_KEYS,
] as const;

/** `gov master`'s flags as commander hands them over (camelCase keys). */
export interface MasterFlags {
  config?: string;
  listen?: string;
  http?: string;
  httpInsecure?: boolean;
  dataDir?: string;
  ca?: string;
  cert?: string;
  key?: string;
  executionLogSize?: string;
  heartbeatInterval?: string;
  heartbeatGrace?: string;
  commandTimeout?: string;
  watchEvents?: string;
  watchBuffer?: string;
  metricsHistory?: string;
  metricsInstances?: string;
  store?: string;
  etcdEndpoints?: string;
  etcdPrefix?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  leaseTtl?: string;
  advertise?: string;
  masterId?: string;
  logLevel?: string;
}

/** The HA settings keys and the flag each comes from (`etcd_endpoints` ← `--etcd-endpoints`). */
const HA_FLAGS = {
  store: 'store',
  etcd_endpoints: 'etcdEndpoints',
  etcd_prefix: 'etcdPrefix',
  etcd_ca: 'etcdCa',
  etcd_cert: 'etcdCert',
  etcd_key: 'etcdKey',
  lease_ttl: 'leaseTtl',
  advertise: 'advertise',
  master_id: 'masterId',
} as const satisfies Record<(typeof HA_KEYS)[number], keyof MasterFlags>;

/** Flags and env over the config file (`--config`), compiled. A bad duration flag is a usage error naming it. */
export function resolveMasterOptions(
  values: MasterFlags,
  env: Record<string, string | undefined>,
  cwd: string,
): MasterOptions {
  const fromFile: MasterUserOptions = values.config ? readMasterConfig(values.config) : {};
  const flags: MasterUserOptions = {};
  if (values.listen) flags.listen = values.listen;
  if (values.http) flags.http = values.http;
  if (values.httpInsecure) flags.http_insecure = true;
  if (values.dataDir) flags.data_dir = values.dataDir;
  const ca = values.ca ?? env.GOV_CA;
  const cert = values.cert ?? env.GOV_CERT;
  const key = values.key ?? env.GOV_KEY;
  if (ca) flags.ca = ca;
  if (cert) flags.cert = cert;
  if (key) flags.key = key;
  if (values.executionLogSize) flags.execution_log_size = Number(values.executionLogSize);
  if (values.watchEvents)
    flags.watch_events = countFlag(values.watchEvents, '--watch-events', COUNTS.watch_events);
  if (values.watchBuffer)
    flags.watch_buffer = countFlag(values.watchBuffer, '--watch-buffer', COUNTS.watch_buffer);
  if (values.metricsInstances !== undefined)
    flags.metrics_instances = countFlag(
      values.metricsInstances,
      '--metrics-instances',
      COUNTS.metrics_instances,
    );
  for (const [flag, name, key] of [
    ['heartbeat-interval', 'heartbeatInterval', 'heartbeat_interval'],
    ['heartbeat-grace', 'heartbeatGrace', 'heartbeat_grace'],
    ['command-timeout', 'commandTimeout', 'command_timeout'],
    ['metrics-history', 'metricsHistory', 'metrics_history'],
  ] as const) {
    const text = values[name];
    if (!text) continue;
    parseDurationSetting(text, `--${flag}`, (m) => new UsageError(m)); // refused naming the flag
    flags[key] = text;
  }
  const given = new Set<string>();
  for (const [key, name] of Object.entries(HA_FLAGS)) {
    const text = values[name];
    if (text === undefined) continue;
    (flags as Record<string, unknown>)[key] = text;
    given.add(key);
  }
  try {
    return compileMasterOptions({ ...fromFile, ...flags }, cwd, values.config ?? 'gov master', given);
  } catch (err) {
    // A bad HA flag is a usage error naming the flag (exit 2); a bad settings key stays a failed start.
    if (err instanceof ValidationError && /^--[a-z]/.test(err.message)) throw new UsageError(err.message);
    throw err;
  }
}

/** `lease_ttl` → `--lease-ttl`. */
function flagOf(key: string): string {
  return `--${key.replace(/_/g, '-')}`;
}

/** Reads a master config file; unknown keys and bad values are refused with file, key and reason. */
export function readMasterConfig(file: string): MasterUserOptions {
  // Durations are refused there, naming the file and the key (compileMasterOptions names the merged source only).
  return readSettingsFile(file, KEYS, DURATION_KEYS) as MasterUserOptions;
}

/**
 * True when `HOST:PORT` binds only the loopback interface (127.0.0.0/8, ::1, localhost). An empty host,
 * `0.0.0.0`, `::`, a LAN address or any other name reaches the network.
 */
export function isLoopbackAddress(address: string): boolean {
  const host = hostOf(address).toLowerCase();
  if (host === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** A count flag: a whole number (its range is checked with the settings). */
/** The whole-number settings: default, least and most (one rule for the flag and the settings key). */
const COUNTS = {
  watch_events: { dflt: 10_000, min: 1, max: 1_000_000 },
  watch_buffer: { dflt: 1_000, min: 1, max: 1_000_000 },
  metrics_instances: { dflt: DEFAULT_METRICS_INSTANCES, min: 0, max: MAX_METRICS_INSTANCES },
} as const;

type CountRange = (typeof COUNTS)[keyof typeof COUNTS];

function countFlag(text: string, flag: string, r: CountRange): number {
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n < r.min || n > r.max)
    throw new UsageError(`${flag} ${text}: must be an integer from ${r.min} to ${r.max}`);
  return n;
}

/** A count setting within [min, max], refused naming where and the key. */
function count(where: string, key: keyof typeof COUNTS, v: number | undefined): number {
  const { dflt, min, max } = COUNTS[key];
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ValidationError(
      `${where}: ${key}: ${JSON.stringify(n)} must be an integer from ${min} to ${max}`,
    );
  return n;
}

function dur(where: string, key: string, v: string | undefined, dflt: number): number {
  return v === undefined ? dflt : parseDurationSetting(v, `${where}: ${key}`);
}

export function compileMasterOptions(
  user: MasterUserOptions,
  cwd: string,
  where = 'master options',
  /** Settings keys that came from flags (their errors name the flag). */
  fromFlags: ReadonlySet<string> = new Set(),
): MasterOptions {
  const certsDir = path.join(cwd, 'certs');
  const size = user.execution_log_size ?? 1000;
  if (!Number.isInteger(size) || size < 1 || size > 1_000_000) {
    throw new ValidationError(
      `${where}: execution_log_size: ${JSON.stringify(size)} must be an integer from 1 to 1000000`,
    );
  }

  const heartbeatIntervalMs = dur(where, 'heartbeat_interval', user.heartbeat_interval, 2000);
  const listen = user.listen ?? '127.0.0.1:7070';
  const opts: MasterOptions = {
    listen,
    // With an ephemeral gRPC port (tests, `--listen 127.0.0.1:0`) the HTTP default is ephemeral too.
    http: user.http ?? (/:0$/.test(user.listen ?? '') ? '127.0.0.1:0' : '127.0.0.1:7071'),
    httpInsecure: user.http_insecure ?? false,
    dataDir: path.resolve(cwd, user.data_dir ?? 'data/master'),
    ca: path.resolve(cwd, user.ca ?? path.join(certsDir, 'ca.crt')),
    cert: path.resolve(cwd, user.cert ?? path.join(certsDir, 'master.crt')),
    key: path.resolve(cwd, user.key ?? path.join(certsDir, 'master.key')),
    executionLogSize: size,
    heartbeatIntervalMs,
    heartbeatGraceMs: dur(
      where,
      'heartbeat_grace',
      user.heartbeat_grace,
      Math.min(heartbeatIntervalMs * 3, MAX_TIMER_MS),
    ),
    metricsIntervalMs: dur(where, 'metrics_interval', user.metrics_interval, 5000),
    commandTimeoutMs: dur(where, 'command_timeout', user.command_timeout, 30_000),
    watchEvents: count(where, 'watch_events', user.watch_events),
    watchBuffer: count(where, 'watch_buffer', user.watch_buffer),
    metricsHistoryMs: dur(where, 'metrics_history', user.metrics_history, 15 * 60_000),
    metricsInstances: count(where, 'metrics_instances', user.metrics_instances),
    // A key is named as its flag when it came from one or was not given at all (a missing value: pass the flag).
    ha: compileHaOptions(user, listen, cwd, (k) =>
      fromFlags.has(k) || user[k] === undefined ? flagOf(k) : `${where}: ${k}`,
    ),
  };
  if (typeof opts.httpInsecure !== 'boolean') {
    throw new ValidationError(`${where}: http_insecure: must be true or false`);
  }
  // The HTTP endpoint has no TLS and no authentication: serving it beyond this machine is a choice.
  if (opts.http !== 'off' && !opts.httpInsecure && !isLoopbackAddress(opts.http)) {
    throw new ValidationError(
      `${where}: --http ${opts.http} (http): binds a non-loopback address, but the HTTP endpoint has no TLS ` +
        `and no authentication; bind 127.0.0.1 or [::1], or pass --http-insecure (settings key ` +
        `http_insecure: true) to serve it to the network anyway`,
    );
  }
  if (opts.heartbeatGraceMs <= opts.heartbeatIntervalMs) {
    throw new ValidationError(`${where}: heartbeat_grace must be longer than heartbeat_interval`);
  }
  return opts;
}
