/** `gov master`: entry point of the master daemon. Signal handlers live here and only here. */
import { Option } from 'commander';
import { EXIT_FAILED, EXIT_OK, type CliIO } from '../shared/cli-io.js';
import { govCommand, type GovCommand } from '../shared/cli-program.js';
import { Logger, type LogLevel } from '../shared/logger.js';
import { resolveMasterOptions, type MasterFlags } from './options.js';
import { DistributedGovernor } from './governor.js';

/** `gov master`'s flags and action (a new definition each call: commander keeps parse state). */
export function masterProgram(): GovCommand {
  return govCommand('master')
    .addOption(new Option('--config <FILE>', 'YAML settings file (flags override it)'))
    .addOption(new Option('--listen <ADDR>', 'gRPC address for agents and admins (default 127.0.0.1:7070)'))
    .addOption(
      new Option(
        '--http <ADDR|off>',
        'read-only HTTP (/metrics, /healthz, /v1/...); default 127.0.0.1:7071, `off` to disable',
      ),
    )
    .addOption(
      new Option(
        '--http-insecure',
        'allow --http on a non-loopback address (no TLS, no authentication: a loud warning is logged)',
      ),
    )
    .addOption(new Option('--data-dir <DIR>', 'registry, execution log and rollouts (default data/master)'))
    .addOption(new Option('--ca <FILE>', 'cluster CA certificate (env GOV_CA, default ./certs/ca.crt)'))
    .addOption(new Option('--cert <FILE>', 'server certificate (env GOV_CERT, default ./certs/master.crt)'))
    .addOption(new Option('--key <FILE>', 'server key (env GOV_KEY, default ./certs/master.key)'))
    .addOption(new Option('--execution-log-size <N>', 'execution records kept (default 1000)'))
    .addOption(new Option('--heartbeat-interval <DUR>', 'agent heartbeat interval (default 2s)'))
    .addOption(new Option('--heartbeat-grace <DUR>', 'silence after which an agent is disconnected'))
    .addOption(new Option('--command-timeout <DUR>', 'deadline of a command sent to an agent (default 30s)'))
    .addOption(
      new Option('--watch-events <N>', 'watch events kept for clients to resume from (default 10000)'),
    )
    .addOption(
      new Option(
        '--watch-buffer <N>',
        'events one watcher may have unsent before it is dropped (default 1000)',
      ),
    )
    .addOption(new Option('--metrics-history <DUR>', 'per-instance CPU/memory history kept (default 15m)'))
    .addOption(
      new Option(
        '--metrics-instances <N>',
        'at most N instances get per-instance series on /metrics (default 10000; the rest are counted)',
      ),
    )
    .addOption(
      new Option('--store <file|etcd>', 'where state lives: file (one master, default) or etcd (HA masters)'),
    )
    .addOption(
      new Option('--etcd-endpoints <URLS>', 'etcd client URLs, comma-separated (http://127.0.0.1:2379)'),
    )
    .addOption(new Option('--etcd-prefix <PREFIX>', 'key prefix in etcd (default /governor/)'))
    .addOption(new Option('--etcd-ca <FILE>', "CA of etcd's server certificate (https:// endpoints)"))
    .addOption(new Option('--etcd-cert <FILE>', 'client certificate for etcd (mTLS, with --etcd-key)'))
    .addOption(new Option('--etcd-key <FILE>', 'client key for etcd (mTLS, with --etcd-cert)'))
    .addOption(
      new Option(
        '--lease-ttl <DUR>',
        'leader lease, whole seconds (default 5s): a failover takes about this long',
      ),
    )
    .addOption(
      new Option(
        '--advertise <HOST:PORT>',
        'the address agents, clients and other masters are told (default the --listen address)',
      ),
    )
    .addOption(new Option('--master-id <ID>', 'this master in gov masters (default the --advertise address)'))
    .addOption(new Option('--log-level <debug|info|warn|error>', 'log level (default info)'))
    .does(({ opts, io }) => serve(opts as MasterFlags, io));
}

export function runMaster(args: string[], io: CliIO): Promise<number> {
  return masterProgram().run(args, io);
}

async function serve(flags: MasterFlags, io: CliIO): Promise<number> {
  const options = resolveMasterOptions(flags, io.env, io.cwd);
  const logger = new Logger('', {
    level: (flags.logLevel ?? 'info') as LogLevel,
    format: io.env.GOV_LOG_FORMAT === 'json' ? 'json' : 'text',
    sink: { write: io.err },
  });
  // One master on the file store, or an HA master on etcd (the same services, built one way: services.ts);
  // etcd's client is loaded only for the latter.
  const governor =
    options.ha.store === 'etcd'
      ? await (await import('./ha/ha-master.js')).HaMaster.create(options, logger)
      : await DistributedGovernor.create(options, logger);
  try {
    const port = await governor.listen();
    io.out(
      `gov master listening on ${options.listen.replace(/:0$/, `:${port}`)}` +
        (governor.httpPort ? `, http ${options.http.replace(/:0$/, `:${governor.httpPort}`)}` : '') +
        ` (${governor.describe()})\n`,
    );
  } catch (err) {
    await governor.shutdown();
    throw err;
  }
  const stop = (sig: string) => {
    io.err(`gov master: ${sig} received, shutting down\n`);
    void governor.shutdown();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await governor.closed();
  return governor.state === 'stopped' ? EXIT_OK : EXIT_FAILED;
}
