/**
 * The store and HA settings of `gov master` (`--store file|etcd`, the etcd endpoints, prefix and mTLS files,
 * `--lease-ttl`, `--advertise`, `--master-id`): compiled once into a validated object, each bad value refused
 * naming the flag or the settings key. master/options.ts merges flags over the config file and calls
 * `compileStoreOptions`; nothing here reads the environment.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { parseDurationSetting } from '../../shared/durations.js';
import { ValidationError } from '../../shared/errors.js';
import { hostOf } from '../../shared/tls.js';

export type StoreKind = 'file' | 'etcd';
export const STORE_KINDS: readonly StoreKind[] = ['file', 'etcd'];

/** Default `--lease-ttl`: how long a leader that stopped renewing keeps the lead (issue 16). */
export const DEFAULT_LEASE_TTL_MS = 5000;
/** etcd grants leases in whole seconds, and rounds a TTL under its minimum (about 2 s) up: refuse it instead. */
const MIN_LEASE_TTL_S = 2;
const MAX_LEASE_TTL_S = 3600;
export const DEFAULT_ETCD_PREFIX = '/governor/';

export interface EtcdOptions {
  /** `http://HOST:PORT` or `https://HOST:PORT`, in the order given. */
  endpoints: string[];
  /** Key prefix, ending in `/` (several clusters may share one etcd). */
  prefix: string;
  /** mTLS to etcd (absolute paths); all absent for plain http endpoints. */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface HaOptions {
  store: StoreKind;
  /** Set when `store` is `etcd`. */
  etcd: EtcdOptions | null;
  leaseTtlMs: number;
  /** The address other masters, agents and clients are told (`HOST:PORT`); '' until bound (port 0). */
  advertise: string;
  /** `--master-id`; '' means the advertise address. */
  masterId: string;
}

/** The settings keys (the flag of each is `--` + the key with `-` for `_`). */
export interface HaUserOptions {
  store?: string;
  etcd_endpoints?: string | string[];
  etcd_prefix?: string;
  etcd_ca?: string;
  etcd_cert?: string;
  etcd_key?: string;
  lease_ttl?: string | number;
  advertise?: string;
  master_id?: string;
}

export const HA_KEYS = [
  'store',
  'etcd_endpoints',
  'etcd_prefix',
  'etcd_ca',
  'etcd_cert',
  'etcd_key',
  'lease_ttl',
  'advertise',
  'master_id',
] as const;
export const HA_DURATION_KEYS = ['lease_ttl'] as const;

/** How a key is named in an error: the flag when it came from one, else `WHERE: key`. */
export type NameOf = (key: (typeof HA_KEYS)[number]) => string;

const ETCD_ONLY = ['etcd_endpoints', 'etcd_prefix', 'etcd_ca', 'etcd_cert', 'etcd_key'] as const;

export function compileHaOptions(user: HaUserOptions, listen: string, cwd: string, name: NameOf): HaOptions {
  const store = user.store ?? 'file';
  if (!STORE_KINDS.includes(store as StoreKind))
    throw new ValidationError(`${name('store')}: ${JSON.stringify(store)} must be file or etcd`);
  if (store === 'file') {
    const stray = ETCD_ONLY.filter((k) => user[k] !== undefined);
    if (stray.length > 0)
      throw new ValidationError(
        `${stray.map(name).join(', ')}: only with --store etcd (store: etcd); the file store keeps state in --data-dir`,
      );
  }
  const leaseTtlMs = leaseTtl(user.lease_ttl, name('lease_ttl'));
  const advertise = advertiseOf(user.advertise, listen, store as StoreKind, name);
  const masterId = user.master_id ?? '';
  if (masterId !== '' && !/^[A-Za-z0-9][A-Za-z0-9._:[\]-]{0,127}$/.test(masterId))
    throw new ValidationError(
      `${name('master_id')}: ${JSON.stringify(masterId)} must be 1 to 128 letters, digits, . _ : - [ ] (no spaces or /)`,
    );
  return {
    store: store as StoreKind,
    etcd: store === 'etcd' ? etcdOptions(user, cwd, name) : null,
    leaseTtlMs,
    advertise,
    masterId,
  };
}

function leaseTtl(value: string | number | undefined, where: string): number {
  if (value === undefined) return DEFAULT_LEASE_TTL_MS;
  const ms = parseDurationSetting(value, where);
  if (ms % 1000 !== 0 || ms < MIN_LEASE_TTL_S * 1000 || ms > MAX_LEASE_TTL_S * 1000)
    throw new ValidationError(
      `${where}: ${JSON.stringify(value)} must be whole seconds from ${MIN_LEASE_TTL_S}s to ${MAX_LEASE_TTL_S}s ` +
        `(etcd grants leases in seconds)`,
    );
  return ms;
}

/** `HOST:PORT` with a port from 1 to 65535 (IPv6 in brackets), or null. */
function isHostPort(address: string): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m) return false;
  const port = Number(m[2]);
  const host = hostOf(address);
  return port >= 1 && port <= 65535 && (!(m[1] ?? '').startsWith('[') || isIP(host) === 6);
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

function advertiseOf(value: string | undefined, listen: string, store: StoreKind, name: NameOf): string {
  if (value !== undefined) {
    if (!isHostPort(value) || isWildcard(hostOf(value)))
      throw new ValidationError(
        `${name('advertise')}: ${JSON.stringify(value)} must be HOST:PORT that others can dial (not a wildcard ` +
          `address, not port 0)`,
      );
    return value;
  }
  if (!isWildcard(hostOf(listen))) return /:0$/.test(listen) ? '' : listen; // port 0: filled in once bound
  if (store === 'etcd')
    throw new ValidationError(
      `${name('advertise')}: required with --store etcd when --listen ${listen} binds every interface: ` +
        `other masters tell agents and clients this address (e.g. --advertise master-1.example.com:7070)`,
    );
  return '';
}

function etcdOptions(user: HaUserOptions, cwd: string, name: NameOf): EtcdOptions {
  const raw = user.etcd_endpoints;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
  const endpoints = list.map((e) => String(e).trim()).filter((e) => e !== '');
  if (endpoints.length === 0)
    throw new ValidationError(
      `${name('etcd_endpoints')}: required with --store etcd (e.g. --etcd-endpoints http://127.0.0.1:2379)`,
    );
  const schemes = new Set<string>();
  for (const e of endpoints) {
    let url: URL | null = null;
    try {
      url = new URL(e);
    } catch {
      /* refused below */
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname || !url.port)
      throw new ValidationError(
        `${name('etcd_endpoints')}: ${JSON.stringify(e)} must be http://HOST:PORT or https://HOST:PORT`,
      );
    if (url.pathname !== '/' || url.search || url.username)
      throw new ValidationError(`${name('etcd_endpoints')}: ${JSON.stringify(e)}: no path, query or user`);
    schemes.add(url.protocol);
  }
  if (schemes.size > 1)
    throw new ValidationError(
      `${name('etcd_endpoints')}: mixes http:// and https:// endpoints; use one scheme`,
    );
  const tls = schemes.has('https:');
  const files = { ca: user.etcd_ca, cert: user.etcd_cert, key: user.etcd_key };
  if (!tls && (files.ca || files.cert || files.key))
    throw new ValidationError(
      `${name(files.ca ? 'etcd_ca' : files.cert ? 'etcd_cert' : 'etcd_key')}: the etcd endpoints are http://; ` +
        `TLS files need https:// endpoints`,
    );
  if (Boolean(files.cert) !== Boolean(files.key))
    throw new ValidationError(
      `${name(files.cert ? 'etcd_key' : 'etcd_cert')}: --etcd-cert and --etcd-key go together (a client certificate and its key)`,
    );
  const prefix = user.etcd_prefix ?? DEFAULT_ETCD_PREFIX;
  if (typeof prefix !== 'string' || prefix === '' || prefix.length > 256 || /[\s\0]/.test(prefix))
    throw new ValidationError(
      `${name('etcd_prefix')}: ${JSON.stringify(prefix)} must be 1 to 256 characters without spaces`,
    );
  // The store's keys are `<prefix>state/…` and it refuses a prefix not starting with '/': refused here, at
  // start, rather than by every attempt to lead.
  if (!prefix.startsWith('/'))
    throw new ValidationError(
      `${name('etcd_prefix')}: ${JSON.stringify(prefix)} must start with '/' (e.g. /governor/)`,
    );
  return {
    endpoints,
    prefix: prefix.endsWith('/') ? prefix : `${prefix}/`,
    ...(files.ca ? { ca: path.resolve(cwd, files.ca) } : {}),
    ...(files.cert ? { cert: path.resolve(cwd, files.cert) } : {}),
    ...(files.key ? { key: path.resolve(cwd, files.key) } : {}),
  };
}

/** The advertise address once the port is known (`--listen HOST:0`: the bound port). */
export function boundAdvertise(ha: HaOptions, listen: string, port: number): string {
  if (ha.advertise) return ha.advertise;
  const host = hostOf(listen);
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
