/**
 * Finding the master and the client certificate (DESIGN §6) for the admin commands: the connection
 * flags and their resolution come from shared/tls.ts (one rule for agent and CLI), plus a per-call
 * deadline. Commands get their `AdminApi` from an injectable `AdminConnector`, so tests pass a fake.
 */
import { Option } from 'commander';
import * as tls from '../../shared/tls.js';
import { tlsHandshakeProblem } from '../../shared/tls-probe.js';
import { UsageError, type CliIO } from '../../shared/cli-io.js';
import { parseDurationSetting } from '../../shared/durations.js';
import { parseMasterList } from '../../shared/master-list.js';
import { DEFAULT_CALL_TIMEOUT_MS, createGrpcAdminApi, type AdminApi } from './admin-client.js';

/** Heading of the connection flags in every admin command's help. */
const CONNECTION_GROUP = 'connection flags:';

/** The flags of every command that connects to the master (values resolved by resolveAdminConnection). */
export function connectionOptions(): Option[] {
  return [
    [
      '--master <HOST:PORT[,…]>',
      `master address, or the masters of an HA cluster comma-separated (env GOV_MASTER, default ${tls.DEFAULT_MASTER})`,
    ],
    ['--ca <FILE>', 'cluster CA certificate (env GOV_CA, default ./certs/ca.crt)'],
    ['--cert <FILE>', `client certificate (env GOV_CERT, default ./certs/${tls.DEFAULT_ADMIN_CERT}.crt)`],
    ['--key <FILE>', `client key (env GOV_KEY, default ./certs/${tls.DEFAULT_ADMIN_CERT}.key)`],
    ['--timeout <DUR>', `per-call deadline (env GOV_TIMEOUT, default ${DEFAULT_CALL_TIMEOUT_MS / 1000}s)`],
  ].map(([flags, description]) => new Option(flags!, description).helpGroup(CONNECTION_GROUP));
}

export interface ConnectionFlagValues extends tls.ConnectionFlags {
  timeout?: string | undefined;
}

/** Where and how to connect, fully resolved (absolute paths, deadline in ms). */
export interface AdminConnection extends tls.ConnectionSettings {
  timeoutMs: number;
  /** The deadline of calls that wait on handlers: only an explicit --timeout (GrpcAdminOptions.waitTimeoutMs). */
  waitTimeoutMs?: number;
  /** `master` as a list: the masters to try, in order (one unless an HA cluster's list was given). */
  masters?: string[];
}

/** Opens an `AdminApi` for the settings; the caller closes it. */
export type AdminConnector = (conn: AdminConnection) => Promise<AdminApi>;

/**
 * Checks `HOST:PORT[,HOST:PORT…]` (`[v6]:PORT` allowed) and returns the list; a UsageError naming `source`
 * (the flag, or GOV_MASTER when it came from there) otherwise.
 */
export function validateMasterAddress(addr: string, source = '--master'): string[] {
  return parseMasterList(addr, source, (m) => new UsageError(m));
}

/**
 * Flags beat env (`GOV_MASTER GOV_CA GOV_CERT GOV_KEY GOV_TIMEOUT`), env beats defaults (the admin-admin
 * pair under `<cwd>/certs`). Validates without touching the network or the files.
 */
export function resolveAdminConnection(
  values: ConnectionFlagValues,
  io: Pick<CliIO, 'env' | 'cwd'>,
): AdminConnection {
  const settings = tls.resolveConnection(values, io.env, { certName: tls.DEFAULT_ADMIN_CERT }, io.cwd);
  const source = values.master ? '--master' : io.env.GOV_MASTER ? 'GOV_MASTER' : '--master';
  const masters = validateMasterAddress(settings.master, source);
  const timeoutText = values.timeout ?? (io.env.GOV_TIMEOUT || undefined);
  if (timeoutText === undefined)
    return { ...settings, master: masters[0]!, masters, timeoutMs: DEFAULT_CALL_TIMEOUT_MS };
  const timeoutMs = parseDurationSetting(timeoutText, '--timeout', (m) => new UsageError(m));
  if (timeoutMs <= 0) throw new UsageError('--timeout must be more than 0');
  return { ...settings, master: masters[0]!, masters, timeoutMs, waitTimeoutMs: timeoutMs };
}

/** The real connector: certificate files checked and loaded (shared/tls.ts), then a lazily connecting client. */
export const connectAdmin: AdminConnector = async (conn) => {
  const material = tls.loadTlsMaterial(conn);
  const c = tls.clientConnection(conn.master, material);
  return createGrpcAdminApi({
    target: c.target,
    credentials: c.credentials,
    timeoutMs: conn.timeoutMs,
    ...(conn.waitTimeoutMs !== undefined ? { waitTimeoutMs: conn.waitTimeoutMs } : {}),
    channelOptions: c.options,
    masters: conn.masters ?? [conn.master],
    // Each address its own credentials: an IP is checked against the certificate's IP SANs.
    channelFor: (address) => {
      const m = tls.clientConnection(address, material);
      return { target: m.target, credentials: m.credentials, options: m.options };
    },
    // A refused certificate must not read as a master that is not running: the files are named.
    explainFailure: (address) => tlsHandshakeProblem(address, material, conn),
  });
};

/** Connects, runs `fn`, and always closes the client. */
export async function withAdmin<T>(
  connector: AdminConnector,
  conn: AdminConnection,
  fn: (api: AdminApi) => Promise<T>,
): Promise<T> {
  const api = await connector(conn);
  try {
    return await fn(api);
  } finally {
    api.close();
  }
}
