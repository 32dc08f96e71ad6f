/**
 * `gov agent` entry point: connected to a master (`--master ADDR`, the default) or standalone on a local
 * handlers file (`--handlers FILE`). Signal handlers live here only: SIGTERM/SIGINT shut down gracefully
 * and leave every handler running. Also runnable directly: `node dist/agent/main.js ...`.
 */
import { readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT_OK, UsageError, parseFlags, processIO, reportError, type CliIO } from '../shared/cli-io.js';
import { parseDurationSetting } from '../shared/durations.js';
import { errorMessage } from '../shared/errors.js';
import { lockDataDir } from '../shared/lock.js';
import { STATE_FILE_MODE } from '../shared/private-files.js';
import { Logger, type LogLevel } from '../shared/logger.js';
import { parseHandlersFile } from '../shared/spec.js';
import type { HandlerSpec } from '../shared/spec.js';
import { clientConnection, loadTlsMaterial, type TlsMaterial } from '../shared/tls.js';
import {
  readAgentConfig,
  resolveConnected,
  type AgentConfigFile,
  type ConnectedSettings,
} from './link/connected.js';
import { GovernorAgent } from './governor-agent.js';
import { observeOptions } from './observed/config.js';
import { Supervisor, type SupervisorOptions } from './supervisor/supervisor.js';

export const AGENT_USAGE =
  'gov agent [--config FILE] [--id ID] [--master ADDR] [--data-dir DIR] [--labels k=v,...] [--ca FILE] [--cert FILE] ' +
  '[--key FILE] [--metrics-interval DUR] [--log-level debug|info|warn|error]\n' +
  '       [--cgroup-root DIR] [--discover-interval DUR]\n' +
  '       gov agent --handlers FILE --data-dir DIR   (standalone, no master)\n' +
  '  --labels k=v,...  reported to the master and shown by gov agents; handler selectors match only the\n' +
  '                    labels an admin sets with gov agents label ID k=v';

/** Written (not durably; a view for operators and tests) to `<data-dir>/status.json` on every change. */
export const STATUS_FILE = 'status.json';
/** How soon a failed status.json write is tried again. */
const STATUS_RETRY_MS = 1000;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export async function runAgent(args: string[], io: CliIO): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`usage: ${AGENT_USAGE}\n`);
    return 0;
  }
  let flags;
  try {
    flags = parseFlags(
      args,
      {
        handlers: { type: 'string' },
        'data-dir': { type: 'string' },
        config: { type: 'string' },
        id: { type: 'string' },
        master: { type: 'string' },
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        labels: { type: 'string' },
        'metrics-interval': { type: 'string' },
        'cgroup-root': { type: 'string' },
        'discover-interval': { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
      },
      false,
    ).values;
    if (flags.handlers && flags.master)
      throw new UsageError('--handlers (standalone) and --master exclude each other');
    if (flags.handlers && !flags['data-dir']) throw new UsageError('--data-dir DIR is required');
    if (flags['log-level'] && !LEVELS.includes(flags['log-level'] as LogLevel))
      throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
  } catch (err) {
    return reportError(err, io, AGENT_USAGE);
  }
  let cfg: AgentConfigFile = {};
  let connected: ConnectedSettings | null = null;
  try {
    if (flags.config) cfg = readAgentConfig(path.resolve(io.cwd, flags.config));
    if (!flags.handlers) connected = resolveConnected(flags, cfg, io.env, io.cwd);
  } catch (err) {
    return reportError(err, io, AGENT_USAGE);
  }
  const dataDir = path.resolve(
    io.cwd,
    flags['data-dir'] ?? cfg.data_dir ?? `data/agent-${connected?.id ?? 'local'}`,
  );
  const logger = new Logger('agent', {
    level: (flags['log-level'] as LogLevel | undefined) ?? 'info',
    format: flags['log-format'] === 'json' || io.env.GOV_LOG_FORMAT === 'json' ? 'json' : 'text',
    sink: { write: (l) => io.err(l) },
  });
  let metricsMs: number;
  let observe: Pick<SupervisorOptions, 'cgroupRoot' | 'discover' | 'discoverIntervalMs'>;
  let specs: HandlerSpec[] | null = null;
  let tlsMaterial: TlsMaterial | null = null;
  try {
    // A config file's values were checked by readAgentConfig (naming the file); the flag is named here.
    const flag = flags['metrics-interval'];
    metricsMs =
      flag !== undefined
        ? parseDurationSetting(flag, '--metrics-interval', (m) => new UsageError(m))
        : cfg.metrics_interval
          ? parseDurationSetting(cfg.metrics_interval, 'metrics_interval')
          : 5000;
    observe = observeOptions(flags, cfg, io.cwd);
    if (flags.handlers) {
      const handlersFile = path.resolve(io.cwd, flags.handlers);
      specs = parseHandlersFile(readFileSync(handlersFile, 'utf8'), path.basename(handlersFile));
    }
    if (connected) tlsMaterial = loadTlsMaterial(connected.connection);
  } catch (err) {
    return reportError(err, io, AGENT_USAGE);
  }

  let lock;
  try {
    lock = lockDataDir(dataDir, 'gov agent');
  } catch (err) {
    return reportError(err, io);
  }
  let sup: Supervisor | null = null;
  // The supervisor's timers are unref'd and signal listeners do not keep Node alive: this ref'd timer
  // keeps the agent process up until it is told to stop.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    sup = await Supervisor.create({
      dataDir,
      logger,
      metricsIntervalMs: metricsMs,
      ...observe,
      agentId: connected?.id ?? flags.id ?? cfg.id ?? os.hostname(),
      agentEnv: io.env,
    });
    const writeStatus = statusWriter(dataDir, sup, logger);
    sup.on('state', writeStatus);
    sup.on('applied', writeStatus);
    let agent: GovernorAgent | null = null;
    if (specs) {
      await sup.applySpecs(specs);
      logger.info('agent running standalone', {
        pid: process.pid,
        handlers: specs.length,
        data_dir: dataDir,
      });
    } else if (connected && tlsMaterial) {
      const conn = clientConnection(connected.connection.master, tlsMaterial);
      agent = new GovernorAgent(
        sup,
        {
          agentId: connected.id,
          address: conn.target,
          credentials: conn.credentials,
          channelOptions: conn.options,
          labels: connected.labels,
          dataDir,
          metricsIntervalMs: metricsMs,
        },
        logger,
      );
      agent.start();
      logger.info('agent running', {
        pid: process.pid,
        id: connected.id,
        master: conn.target,
        data_dir: dataDir,
      });
    }
    writeStatus();
    const stopMetrics = agent ? () => {} : sampleMetrics(sup, metricsMs, logger);
    await waitForSignal(io);
    logger.info('shutting down; handlers keep running');
    stopMetrics();
    sup.off('state', writeStatus);
    if (agent) await agent.shutdown();
    else await sup.shutdown();
    writeStatus();
    return EXIT_OK;
  } catch (err) {
    logger.error('agent failed', { err });
    await sup?.shutdown().catch(() => {});
    return reportError(err, io);
  } finally {
    clearInterval(keepAlive);
    lock.release();
  }
}

function waitForSignal(io: CliIO): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve();
    };
    process.on('SIGTERM', done);
    process.on('SIGINT', done);
    void io.interrupted?.then(done);
  });
}

/** Debounced atomic writer of the status view. */
/**
 * Writes `status.json` shortly after each change. A failed write (disk full, I/O error) never stops the
 * agent: the temp file is removed, the failure logged once per streak, and the write retried until it works.
 */
function statusWriter(dataDir: string, sup: Supervisor, logger: Logger): () => void {
  const file = path.join(dataDir, STATUS_FILE);
  const tmp = `${file}.tmp`;
  let pending: NodeJS.Timeout | null = null;
  let failing = false;
  const schedule = (ms: number): void => {
    if (pending) return;
    pending = setTimeout(write, ms);
    pending.unref();
  };
  const write = (): void => {
    pending = null;
    try {
      const doc = { agent_pid: process.pid, updated_at: Date.now(), instances: sup.status() };
      writeFileSync(tmp, JSON.stringify(doc, null, 2), { mode: STATE_FILE_MODE });
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      if (!failing) logger.error('status file write failed; retrying', { file, err });
      failing = true;
      return schedule(STATUS_RETRY_MS);
    }
    if (failing) logger.info('status file written again', { file });
    failing = false;
  };
  return () => schedule(10);
}

function sampleMetrics(sup: Supervisor, everyMs: number, logger: Logger): () => void {
  const log = logger.named('metrics');
  const t = setInterval(() => {
    sup.metrics().then(
      (m) =>
        log.debug('sample', {
          instances: m.length,
          cpu: m.map((x) => `${x.handler}:${x.cpu_percent}`).join(','),
        }),
      (err: unknown) => log.warn('sampling failed', { err }),
    );
  }, everyMs);
  t.unref();
  return () => clearInterval(t);
}

function isEntry(): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(argv1)).href;
  } catch {
    return false;
  }
}

if (isEntry()) {
  runAgent(process.argv.slice(2), processIO()).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`error: ${errorMessage(err)}\n`);
      process.exit(1);
    },
  );
}
