/**
 * `gov dev`: a whole cluster on this machine in one command — dev certs (made if missing), a master, one
 * local agent (a child process with its own data dir) and two small HTTP demo handlers applied through
 * the admin API. Ctrl-C stops the demo handlers, the agent and the master. `--ha`: etcd and three masters
 * instead of one (dev-ha.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option } from 'commander';
import { EXIT_FAILED, EXIT_OK, UsageError, type CliIO } from '../../shared/cli-io.js';
import { govCommand, type GovCommand } from '../../shared/cli-program.js';
import { Logger } from '../../shared/logger.js';
import { initPki } from '../../shared/pki.js';
import { isName, nameRefusal } from '../../shared/names.js';
import { DATA_DIR_MODE, ensureDir, openLogForAppend } from '../../shared/private-files.js';
import * as tls from '../../shared/tls.js';
import { DistributedGovernor } from '../governor.js';
import { compileMasterOptions } from '../options.js';
import { tailLines } from '../../shared/log-tail.js';
import { createGrpcAdminApi, type AdminApi } from './admin-client.js';

export const GOV_BIN = fileURLToPath(new URL('./gov.js', import.meta.url));
const DEMO_SCRIPT = fileURLToPath(new URL('../../../master/dev/demo-http.mjs', import.meta.url));

/**
 * How to run this gov from a shell: `gov` when the `gov` found on PATH is this very binary (an installed
 * package, or `npm link`), else `node <path of this gov.js>`.
 */
export function govInvocation(pathEnv = process.env.PATH ?? ''): string {
  let self: string;
  try {
    self = realpathSync(GOV_BIN);
  } catch {
    return `node ${GOV_BIN}`;
  }
  for (const dir of pathEnv.split(path.delimiter).filter(Boolean)) {
    try {
      if (realpathSync(path.join(dir, 'gov')) === self) return 'gov';
    } catch {
      /* no gov there */
    }
  }
  return `node ${GOV_BIN}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function demoHandlers(agentId: string, ports: [number, number]): string {
  const handler = (name: string, port: number) => `  - name: ${name}
    agents: [${agentId}]
    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DEMO_SCRIPT)}]
    env: {PORT: "${port}", DEMO_NAME: ${name}}
    restart: always
    start_seconds: 1
    stop_timeout: 5s
`;
  return `# Demo handlers applied by \`gov dev\`.\nhandlers:\n${handler('hello-web', ports[0])}${handler('hello-api', ports[1])}`;
}

export interface DevFlags {
  /** Several masters on etcd (dev-ha.ts). */
  ha?: boolean;
  listen: string;
  http?: string;
  dir: string;
  certs: string;
  agentId: string;
}

/** `gov dev`'s flags and action (a new definition each call: commander keeps parse state). */
export function devProgram(): GovCommand {
  return govCommand('dev')
    .addOption(new Option('--listen <ADDR>', "the master's gRPC address").default('127.0.0.1:7070'))
    .addOption(new Option('--http <ADDR|off>', "the master's read-only HTTP (default 127.0.0.1:7071)"))
    .addOption(new Option('--dir <DIR>', 'data dirs and logs of the cluster').default('.gov-dev'))
    .addOption(new Option('--certs <DIR>', 'dev certificates (made if missing)').default('certs'))
    .addOption(new Option('--agent-id <ID>', 'id of the local agent').default('local'))
    .addOption(
      new Option(
        '--ha',
        'highly available: etcd (needs etcd-server) + 3 masters on the --listen port and the next two + the agent',
      ),
    )
    .does(async ({ opts, io }) => {
      const flags = opts as DevFlags;
      if (!isName(flags.agentId))
        throw new UsageError(`--agent-id: ${nameRefusal(flags.agentId, 'agent id')}`);
      return flags.ha ? (await import('./dev-ha.js')).runHaCluster(flags, io) : runCluster(flags, io);
    });
}

export function runDev(args: string[], io: CliIO): Promise<number> {
  return devProgram().run(args, io);
}

async function runCluster(values: DevFlags, io: CliIO): Promise<number> {
  if (!isName(values.agentId)) throw new UsageError(`--agent-id: ${nameRefusal(values.agentId, 'agent id')}`);
  const dir = path.resolve(io.cwd, values.dir);
  const certs = path.resolve(io.cwd, values.certs);
  const agentId = values.agentId;
  let governor: DistributedGovernor | null = null;
  let agent: ChildProcess | null = null;
  let api: AdminApi | null = null;
  const cleanup = async (stopHandlers: boolean) => {
    if (api && stopHandlers) {
      await stopDemoHandlers(api);
    }
    api?.close();
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await governor?.shutdown();
  };
  try {
    ensureDir(dir, DATA_DIR_MODE, { followLink: true });
    await devCertificates(certs, agentId, io);

    const logger = new Logger('', { level: 'warn', sink: { write: io.err } });
    const options = compileMasterOptions(
      {
        listen: values.listen,
        http: values.http,
        data_dir: path.join(dir, 'master'),
        ca: path.join(certs, 'ca.crt'),
        cert: path.join(certs, 'master.crt'),
        key: path.join(certs, 'master.key'),
      },
      io.cwd,
    );
    governor = await DistributedGovernor.create(options, logger);
    const port = await governor.listen();
    const master = `127.0.0.1:${port}`;

    const agentLog = path.join(dir, `agent-${agentId}.log`);
    const logFd = openLogForAppend(agentLog);
    agent = spawn(
      process.execPath,
      devAgentArgs(dir, certs, agentId, master),
      // Own process group: Ctrl-C reaches `gov dev` only, which stops the handlers before the agent.
      { stdio: ['ignore', logFd, logFd], detached: true },
    );
    let agentGone = false;
    const agentExit = new Promise<number>((r) =>
      agent!.once('exit', (code) => {
        agentGone = true;
        r(code ?? 1);
      }),
    );
    const connected = await waitUntil(() => governor!.fleet.hub.isConnected(agentId) || agentGone, 20_000);
    if (!connected || agentGone) {
      const tail = (await tailLines(agentLog, 5)).map((l) => `  ${l}`).join('\n');
      throw new Error(`the local agent did not connect; the end of ${agentLog}:\n${tail}`);
    }

    const conn = tls.clientConnection(master, devAdminMaterial(certs, io.cwd));
    api = createGrpcAdminApi({
      target: conn.target,
      credentials: conn.credentials,
      channelOptions: conn.options,
    });
    const ports = await applyDemoHandlers(api, dir, agentId);

    const gov = govInvocation();
    io.out(
      [
        '',
        `Governor dev cluster is up`,
        `  master    ${master}   (data ${path.join(dir, 'master')})`,
        ...(governor.httpPort
          ? [`  http      http://127.0.0.1:${governor.httpPort}/metrics   /v1/agents   /v1/instances`]
          : []),
        `  agent     ${agentId}   (pid ${agent.pid}, log ${agentLog})`,
        `  handlers  hello-web → http://127.0.0.1:${ports[0]}   hello-api → http://127.0.0.1:${ports[1]}`,
        '',
        `Next, in another terminal (in ${io.cwd}, where ./certs is):`,
        `  export GOV_MASTER=${master}`,
        `  ${gov} ps`,
        `  ${gov} restart hello-web`,
        `  ${gov} rollout restart hello-web --min-healthy 2s`,
        `  ${gov} executions`,
        `  curl http://127.0.0.1:${ports[0]}/`,
        '',
        'Ctrl-C stops the demo handlers, the agent and the master.',
        '',
      ].join('\n'),
    );
    if ((await untilStopped(io, agentExit)) === 'agent-exit') {
      io.err(`the local agent exited unexpectedly (see ${agentLog})\n`);
      await cleanup(false);
      return EXIT_FAILED;
    }
    io.out('stopping the dev cluster...\n');
    await cleanup(true);
    return EXIT_OK;
  } catch (err) {
    await cleanup(false).catch(() => {});
    throw err;
  }
}

/** Dev certificates in `certs` (made if missing: CA, master with `hosts`, the agent, the admin); says which. */
export async function devCertificates(certs: string, agentId: string, io: CliIO, hosts: string[] = []) {
  const pki = await initPki({ dir: certs, agents: [agentId], hosts });
  const made = [pki.ca, pki.master, ...pki.clients].filter((c) => c.action !== 'kept').length;
  io.out(made ? `dev certificates written to ${certs}\n` : `using dev certificates in ${certs}\n`);
}

/** `gov agent` arguments of the local dev agent: data dir `<dir>/agent-ID`, certificates from `certs`. */
export function devAgentArgs(dir: string, certs: string, agentId: string, masters: string): string[] {
  return [
    GOV_BIN,
    'agent',
    '--id',
    agentId,
    '--master',
    masters,
    '--data-dir',
    path.join(dir, `agent-${agentId}`),
    '--ca',
    path.join(certs, 'ca.crt'),
    '--cert',
    path.join(certs, `agent-${agentId}.crt`),
    '--key',
    path.join(certs, `agent-${agentId}.key`),
  ];
}

/** The dev admin's TLS material (`admin-admin` in `certs`). */
export function devAdminMaterial(certs: string, cwd: string): tls.TlsMaterial {
  return tls.loadTlsMaterial({
    caPath: path.join(certs, 'ca.crt'),
    certPath: path.join(certs, 'admin-admin.crt'),
    keyPath: path.join(certs, 'admin-admin.key'),
    cwd,
  });
}

/** Applies the demo handlers on two free ports (the file is written to `dir` too); returns the ports. */
export async function applyDemoHandlers(
  api: AdminApi,
  dir: string,
  agentId: string,
): Promise<[number, number]> {
  const ports: [number, number] = [await freePort(), await freePort()];
  const file = path.join(dir, 'demo-handlers.yaml');
  writeFileSync(file, demoHandlers(agentId, ports));
  const applied = await api.apply(demoHandlers(agentId, ports), file);
  const failed = applied.executions.filter((e) => e.status !== 'success');
  if (failed.length)
    throw new Error(`applying the demo handlers failed: ${failed.map((e) => e.error).join('; ')}`);
  return ports;
}

/** Stops the demo handlers (best effort: on the way out). */
export async function stopDemoHandlers(api: AdminApi): Promise<void> {
  for (const h of ['hello-web', 'hello-api']) await api.control('stop', h).catch(() => {});
}

/** Resolves with why the dev cluster ends: Ctrl-C (`io.interrupted` in tests) or the local agent's exit. */
export function untilStopped(io: CliIO, agentExited: Promise<unknown>): Promise<'interrupt' | 'agent-exit'> {
  const interrupted =
    io.interrupted ??
    new Promise<void>((r) => {
      process.once('SIGINT', () => r());
      process.once('SIGTERM', () => r());
    });
  return Promise.race([
    interrupted.then(() => 'interrupt' as const),
    agentExited.then(() => 'agent-exit' as const),
  ]);
}

export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
