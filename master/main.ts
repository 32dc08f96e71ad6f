/** `gov master`: entry point of the master daemon. Signal handlers live here and only here. */
import { EXIT_FAILED, EXIT_OK, UsageError, parseFlags, reportError, type CliIO } from '../shared/cli-io.js';
import { parseDurationSetting } from '../shared/durations.js';
import { Logger, type LogLevel } from '../shared/logger.js';
import { compileMasterOptions, readMasterConfig, type MasterUserOptions } from './options.js';
import { DistributedGovernor } from './governor.js';

export const MASTER_USAGE =
  'gov master [--config FILE] [--listen ADDR] [--http ADDR] [--http-insecure] [--data-dir DIR] [--ca FILE] [--cert FILE] [--key FILE] ' +
  '[--execution-log-size N] [--heartbeat-interval DUR] [--heartbeat-grace DUR] [--command-timeout DUR] [--log-level debug|info|warn|error]\n' +
  '  --http ADDR       read-only HTTP (/metrics, /healthz, /v1/...); default 127.0.0.1:7071, `off` to disable\n' +
  '  --http-insecure   allow --http on a non-loopback address (no TLS, no authentication: a loud warning is logged)';

export async function runMaster(args: string[], io: CliIO): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`usage: ${MASTER_USAGE}\n`);
    return 0;
  }
  let governor: DistributedGovernor;
  try {
    const { values } = parseFlags(
      args,
      {
        config: { type: 'string' },
        listen: { type: 'string' },
        http: { type: 'string' },
        'http-insecure': { type: 'boolean' },
        'data-dir': { type: 'string' },
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        'execution-log-size': { type: 'string' },
        'heartbeat-interval': { type: 'string' },
        'heartbeat-grace': { type: 'string' },
        'command-timeout': { type: 'string' },
        'log-level': { type: 'string' },
      },
      false,
    );
    const fromFile: MasterUserOptions = values.config ? readMasterConfig(values.config) : {};
    const flags: MasterUserOptions = {};
    if (values.listen) flags.listen = values.listen;
    if (values.http) flags.http = values.http;
    if (values['http-insecure']) flags.http_insecure = true;
    if (values['data-dir']) flags.data_dir = values['data-dir'];
    const ca = values.ca ?? io.env.GOV_CA;
    const cert = values.cert ?? io.env.GOV_CERT;
    const key = values.key ?? io.env.GOV_KEY;
    if (ca) flags.ca = ca;
    if (cert) flags.cert = cert;
    if (key) flags.key = key;
    if (values['execution-log-size']) flags.execution_log_size = Number(values['execution-log-size']);
    for (const [flag, key] of [
      ['heartbeat-interval', 'heartbeat_interval'],
      ['heartbeat-grace', 'heartbeat_grace'],
      ['command-timeout', 'command_timeout'],
    ] as const) {
      const text = values[flag];
      if (!text) continue;
      parseDurationSetting(text, `--${flag}`, (m) => new UsageError(m)); // refused naming the flag
      flags[key] = text;
    }
    const options = compileMasterOptions({ ...fromFile, ...flags }, io.cwd, values.config ?? 'gov master');
    const level = (values['log-level'] ?? 'info') as LogLevel;
    const logger = new Logger('', {
      level,
      format: io.env.GOV_LOG_FORMAT === 'json' ? 'json' : 'text',
      sink: { write: io.err },
    });
    governor = await DistributedGovernor.create(options, logger);
    try {
      const port = await governor.listen();
      io.out(
        `gov master listening on ${options.listen.replace(/:0$/, `:${port}`)}` +
          (governor.httpPort ? `, http ${options.http.replace(/:0$/, `:${governor.httpPort}`)}` : '') +
          ` (data dir ${options.dataDir})\n`,
      );
    } catch (err) {
      await governor.shutdown();
      throw err;
    }
  } catch (err) {
    return reportError(err, io, MASTER_USAGE);
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
