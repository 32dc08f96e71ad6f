/**
 * `gov agent` entry point: connected to a master (`--master ADDR`, the default) or standalone on a local
 * handlers file (`--handlers FILE`). Signal handlers live here only: SIGTERM/SIGINT shut down gracefully
 * and leave every handler running. Also runnable directly: `node dist/agent/main.js ...`.
 */
import { realpathSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Option } from 'commander';
import { EXIT_OK, processIO, reportError, type CliIO } from '../shared/cli-io.js';
import { govCommand, type GovCommand } from '../shared/cli-program.js';
import { errorMessage } from '../shared/errors.js';
import { lockDataDir } from '../shared/lock.js';
import { STATE_FILE_MODE } from '../shared/private-files.js';
import { Logger } from '../shared/logger.js';
import { parseHandlersFile } from '../shared/spec.js';
import { readYamlFile } from '../shared/yaml-input.js';
import { WriteCoalescer } from '../shared/write-coalescer.js';
import type { HandlerSpec } from '../shared/spec.js';
import { clientConnection, loadTlsMaterial, type TlsMaterial } from '../shared/tls.js';
import { tlsHandshakeProblem } from '../shared/tls-probe.js';
import { AgentCommands } from './commands.js';
import { ControlLoop } from './control/control-loop.js';
import { raiseCpuShare } from './cpu-share.js';
import { nativeSpawn } from './native/process-spawn.js';
import { favourSmallFootprint } from './footprint.js';
import { GovernorAgent } from './governor-agent.js';
import { LocalAudit } from './local/local-audit.js';
import { LocalControl } from './local/local-control.js';
import { LOG_LEVELS, compileAgentOptions, type AgentFlags, type AgentOptions } from './options.js';
import { Supervisor } from './supervisor/supervisor.js';

/** Written (not durably; a view for operators and tests) to `<data-dir>/status.json` on every change. */
export const STATUS_FILE = 'status.json';
/** How soon a failed status.json write is tried again. */
const STATUS_RETRY_MS = 1000;
/** Changes within this share one status.json write. */
const STATUS_DEBOUNCE_MS = 10;

/**
 * Descriptors the agent inherited from its parent (a shell's, a test harness's pipe) are marked close-on-exec,
 * so nothing the agent starts gets them unasked: the native spawn closes them in the child itself, node-pty's
 * terminal sessions (gov exec -t) and Node's child_process do not.
 */
function closeInheritedOnExec(logger: Logger): void {
  const loaded = nativeSpawn();
  try {
    if (!loaded.ok) throw new Error(loaded.reason);
    loaded.native.cloexecInherited();
  } catch (err) {
    logger.warn("descriptors inherited from the agent's parent stay open in what it starts", {
      reason: errorMessage(err),
    });
  }
}

/**
 * `gov agent`'s flags and action (a new definition each call: commander keeps parse state). Connected
 * (`--master`, the default) or standalone (`--handlers FILE --data-dir DIR`, no master).
 */
export function agentProgram(): GovCommand {
  return govCommand('agent')
    .addOption(new Option('--config <FILE>', 'YAML settings file (flags and env override it)'))
    .addOption(new Option('--id <ID>', 'agent id (default: the CN of --cert)'))
    .addOption(
      new Option(
        '--master <ADDR[,ADDR…]>',
        'master address, or the masters of an HA cluster comma-separated (env GOV_MASTER, default 127.0.0.1:7070)',
      ),
    )
    .addOption(new Option('--data-dir <DIR>', 'handles, cached specs and logs (default data/agent-<ID>)'))
    .addOption(
      new Option(
        '--labels <k=v,...>',
        'reported to the master and shown by gov agents; handler selectors match only the labels an ' +
          'admin sets with gov agents label ID k=v',
      ),
    )
    .addOption(new Option('--ca <FILE>', 'cluster CA certificate (env GOV_CA, default ./certs/ca.crt)'))
    .addOption(
      new Option('--cert <FILE>', 'agent certificate (env GOV_CERT, default ./certs/agent-<ID>.crt)'),
    )
    .addOption(new Option('--key <FILE>', 'agent key (env GOV_KEY, default ./certs/agent-<ID>.key)'))
    .addOption(new Option('--metrics-interval <DUR>', 'how often instances are measured (default 5s)'))
    .addOption(new Option('--log-level <' + LOG_LEVELS.join('|') + '>', 'log level (default info)'))
    .addOption(
      new Option('--log-format <json|text>', 'log lines as text (default) or JSON (env GOV_LOG_FORMAT)'),
    )
    .addOption(
      new Option(
        '--cgroup-root <DIR>',
        "cgroup filesystem root: each handler's own cgroup (tracking) and advisory limits",
      ),
    )
    .addOption(new Option('--discover-interval <DUR>', 'how often discovery rules scan (default 10s)'))
    .addOption(new Option('--no-exec', 'refuse gov exec sessions on this agent (config: exec: false)'))
    .addOption(new Option('--exec-max-sessions <N>', 'concurrent gov exec sessions (default 8)'))
    .addOption(new Option('--exec-idle-timeout <DUR>', 'end a gov exec session idle this long (default 30m)'))
    .addOption(
      new Option(
        '--control-interval <DUR>',
        'how often host sensors are read for agent-wide policies (default 1s)',
      ),
    )
    .addOption(new Option('--policy-budget <N>', 'at most N resource policy actions per minute (default 10)'))
    .addOption(
      new Option(
        '--boot-concurrency <N>',
        'rollout steps of handlers with a health check or sd_notify booting at once (default 2 per CPU; 0: not paced)',
      ),
    )
    .addOption(
      new Option(
        '--autogroup-nice <N|off>',
        "the nice of the agent's own session against its handlers' sessions, when it leads one (default -10; off: " +
          'leave it)',
      ),
    )
    .addOption(new Option('--handlers <FILE>', 'standalone: supervise the handlers of FILE, no master'))
    .addOption(
      new Option(
        '--socket <PATH|off>',
        'local control socket for gov --local (default <data-dir>/gov.sock, mode 0660; off: none)',
      ),
    )
    .addOption(new Option('--socket-group <NAME|GID>', "the control socket's group (its members may use it)"))
    .addOption(
      new Option(
        '--read-only-socket <PATH>',
        'also a read-only socket (mode 0666): ps, metrics, logs for every user',
      ),
    )
    .does(({ opts, io }) => runAgentWith(compileAgentOptions(opts as AgentFlags, io.env, io.cwd), io));
}

/** `gov agent ARGS`; also what `node dist/agent/main.js ARGS` runs. */
export function runAgent(args: string[], io: CliIO): Promise<number> {
  return agentProgram().run(args, io);
}

async function runAgentWith(options: AgentOptions, io: CliIO): Promise<number> {
  const { connected, dataDir, metricsIntervalMs } = options;
  const logger = new Logger('agent', {
    level: options.logLevel,
    format: options.logFormat,
    sink: { write: (l) => io.err(l) },
  });
  let specs: HandlerSpec[] | null = null;
  let tlsMaterial: TlsMaterial | null = null;
  if (options.handlersFile) {
    // As an older agent read it (not `written`): an upgrade never stops an agent over its own file.
    specs = parseHandlersFile(
      readYamlFile(options.handlersFile, path.basename(options.handlersFile)),
      path.basename(options.handlersFile),
      false,
    );
  }
  if (connected) tlsMaterial = loadTlsMaterial(connected.connection);

  const lock = lockDataDir(dataDir, 'gov agent');
  closeInheritedOnExec(logger);
  if (options.autogroupNice !== null) {
    const share = raiseCpuShare(options.autogroupNice);
    if ('nice' in share) logger.info("the agent's session has its CPU share", { autogroup_nice: share.nice });
    else logger.info("the agent's CPU share is left as it is", { reason: share.unchanged });
  }
  let sup: Supervisor | null = null;
  let audit: LocalAudit | null = null;
  let local: LocalControl | null = null;
  let control: ControlLoop | null = null;
  // The supervisor's timers are unref'd and signal listeners do not keep Node alive: this ref'd timer
  // keeps the agent process up until it is told to stop.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    sup = await Supervisor.create({
      dataDir,
      logger,
      metricsIntervalMs,
      ...(options.cgroupRoot ? { cgroupRoot: options.cgroupRoot } : {}),
      discover: options.discover,
      ...(options.discoverIntervalMs ? { discoverIntervalMs: options.discoverIntervalMs } : {}),
      agentId: options.agentId,
      agentEnv: io.env,
      ...(options.bootConcurrency !== undefined ? { bootConcurrency: options.bootConcurrency } : {}),
    });
    const status = statusWriter(dataDir, sup, logger);
    const writeStatus = status.schedule;
    sup.on('state', writeStatus);
    sup.on('applied', writeStatus);
    sup.on('status', writeStatus);
    let agent: GovernorAgent | null = null;
    audit = await LocalAudit.open(dataDir, logger);
    let commands = new AgentCommands(sup, dataDir);
    // Resource policies: rules from the specs the agent runs and from its config, master or no master.
    control = new ControlLoop({
      supervisor: sup,
      commands,
      audit,
      agentRules: options.policies,
      budgetPerMinute: options.policyBudget,
      controlIntervalMs: options.controlIntervalMs,
      metricsIntervalMs,
      logger,
      dataDir,
    });
    if (specs) {
      await sup.applySpecs(specs);
      logger.info('agent running standalone', {
        pid: process.pid,
        handlers: specs.length,
        data_dir: dataDir,
      });
    } else if (connected && tlsMaterial) {
      const material = tlsMaterial;
      const conn = clientConnection(connected.connection.master, material);
      agent = new GovernorAgent(
        sup,
        {
          agentId: connected.id,
          address: conn.target,
          credentials: conn.credentials,
          channelOptions: conn.options,
          masters: connected.masters,
          // Each address its own credentials: an IP is checked against the certificate's IP SANs.
          channelFor: (address) => {
            const c = clientConnection(address, material);
            return { credentials: c.credentials, options: c.options };
          },
          // A refused certificate must not read as a master that is down: the log names the files.
          explainFailure: (address) => tlsHandshakeProblem(address, material, connected.connection),
          labels: connected.labels,
          dataDir,
          metricsIntervalMs,
          audit,
          exec: options.exec,
          policies: control,
        },
        logger,
      );
      commands = agent.commands;
      agent.start();
      logger.info('agent running', {
        pid: process.pid,
        id: connected.id,
        masters: connected.masters.join(','),
        data_dir: dataDir,
      });
    }
    local = await LocalControl.open({
      supervisor: sup,
      commands,
      audit,
      agentId: options.agentId,
      socket: options.socket,
      socketRequired: options.socketRequired,
      socketGid: options.socketGid,
      readOnlySocket: options.readOnlySocket,
      logger,
    });
    writeStatus();
    control.start();
    const stopMetrics = agent ? () => {} : sampleMetrics(sup, metricsIntervalMs, logger);
    await waitForSignal(io);
    logger.info('shutting down; handlers keep running');
    stopMetrics();
    await control.stop();
    await local.close();
    sup.off('state', writeStatus);
    sup.off('applied', writeStatus);
    sup.off('status', writeStatus);
    if (agent) await agent.shutdown();
    else await sup.shutdown();
    await status.flush();
    await audit.close();
    return EXIT_OK;
  } catch (err) {
    logger.error('agent failed', { err });
    await control?.stop().catch(() => {});
    await local?.close().catch(() => {});
    await sup?.shutdown().catch(() => {});
    await audit?.close().catch(() => {});
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

/** The status view's writer: `schedule` after each change; `flush` writes what memory holds now. */
interface StatusWriter {
  schedule(): void;
  flush(): Promise<void>;
}

/**
 * Writes `status.json` shortly after each change (changes within STATUS_DEBOUNCE_MS share one write),
 * asynchronously — one write at a time (shared/write-coalescer.ts) — so a write never blocks the agent's
 * event loop (a synchronous write + rename took 0.1–1 ms of it after every STATUS= message, delaying the
 * local socket's answers and the next message). A failed write (disk full, I/O error) never stops the
 * agent: the temp file is removed, the failure logged once per streak, and the write retried until it works.
 */
function statusWriter(dataDir: string, sup: Supervisor, logger: Logger): StatusWriter {
  const file = path.join(dataDir, STATUS_FILE);
  const tmp = `${file}.tmp`;
  let pending: NodeJS.Timeout | null = null;
  let failing = false;
  const write = async (): Promise<void> => {
    const doc = { agent_pid: process.pid, updated_at: Date.now(), instances: sup.status() };
    try {
      await writeFile(tmp, JSON.stringify(doc, null, 2), { mode: STATE_FILE_MODE });
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
  };
  const writes = new WriteCoalescer(write);
  const flush = async (): Promise<void> => {
    if (pending) clearTimeout(pending);
    pending = null;
    try {
      await writes.request();
    } catch (err) {
      if (!failing) logger.error('status file write failed; retrying', { file, err });
      failing = true;
      return schedule(STATUS_RETRY_MS);
    }
    if (failing) logger.info('status file written again', { file });
    failing = false;
  };
  const schedule = (ms: number): void => {
    if (pending) return;
    pending = setTimeout(() => void flush(), ms);
    pending.unref();
  };
  return { schedule: () => schedule(STATUS_DEBOUNCE_MS), flush };
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
  favourSmallFootprint();
  runAgent(process.argv.slice(2), processIO()).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`error: ${errorMessage(err)}\n`);
      process.exit(1);
    },
  );
}
