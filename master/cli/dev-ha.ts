/**
 * `gov dev --ha`: a highly available cluster on this machine (DESIGN §9 "HA") — dev certs (made if missing),
 * one etcd (Debian's etcd-server: its binary must be on PATH), three `gov master --store etcd` processes
 * (gRPC on the --listen port and the next two: 7070, 7071, 7072 by default; HTTP off), one local agent
 * given the three addresses, and the demo handlers, applied through the address list. It prints the list for
 * GOV_MASTER. Ctrl-C stops the demo handlers, the agent, the masters and etcd. Every child is this process's
 * own (stopped by PID); logs go to `<dir>/*.log`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { EXIT_FAILED, EXIT_OK, UsageError, type CliIO } from '../../shared/cli-io.js';
import { GovError } from '../../shared/errors.js';
import { isHostPort } from '../../shared/host-port.js';
import { tailLines } from '../../shared/log-tail.js';
import { DATA_DIR_MODE, ensureDir, openLogForAppend } from '../../shared/private-files.js';
import * as tls from '../../shared/tls.js';
import { createGrpcAdminApi, type AdminApi } from './admin-client.js';
import {
  GOV_BIN,
  applyDemoHandlers,
  devAdminMaterial,
  devAgentArgs,
  devCertificates,
  freePort,
  govInvocation,
  stopDemoHandlers,
  untilStopped,
  waitUntil,
  type DevFlags,
} from './dev.js';
import { etcdMemberArgs, findEtcd } from './etcd-member.js';

const MASTERS = 3;
/** etcd's minimum lease (whole seconds): the failover a developer watches is as short as it gets. */
const DEV_LEASE_TTL = '2s';

interface Child {
  name: string;
  proc: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

function start(name: string, cmd: string, args: string[], log: string, cwd: string): Child {
  const fd = openLogForAppend(log);
  // Own process group: Ctrl-C reaches `gov dev` only, which stops everything in order.
  const proc = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true, cwd });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { name, proc, log, exited };
}

async function stop(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGTERM');
  const done = await Promise.race([
    c.exited.then(() => true),
    new Promise((r) => setTimeout(r, 10_000, false)),
  ]);
  if (!done) c.proc.kill('SIGKILL');
  await c.exited;
}

async function failWithLog(c: Child, what: string): Promise<never> {
  const tail = (await tailLines(c.log, 8)).map((l) => `  ${l}`).join('\n');
  throw new GovError('UNAVAILABLE', `${what}; the end of ${c.log}:\n${tail}`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function runHaCluster(values: DevFlags, io: CliIO): Promise<number> {
  const colon = values.listen.lastIndexOf(':');
  const [host, basePort] = [tls.hostOf(values.listen), Number(values.listen.slice(colon + 1))];
  // Port 0: three free ports.
  if (colon < 0 || !isHostPort(`${values.listen.slice(0, colon)}:${basePort || 1}`))
    throw new UsageError(`--listen ${JSON.stringify(values.listen)} is not HOST:PORT`);
  if (values.http !== undefined)
    throw new UsageError('--http does not apply to --ha (the masters run without HTTP)');
  const etcdBin = findEtcd(io.env.PATH ?? '');
  if (!etcdBin)
    throw new GovError(
      'FAILED_PRECONDITION',
      'gov dev --ha needs etcd, and no etcd is on PATH: install it (Debian/Ubuntu: apt-get install etcd-server) ' +
        'or run gov dev without --ha',
    );
  const ports =
    basePort === 0 ? await Promise.all([0, 1, 2].map(() => freePort())) : [0, 1, 2].map((i) => basePort + i);
  if (ports.some((p) => p > 65535))
    throw new UsageError(`--listen: ${values.listen} leaves no room for three ports`);
  const addresses = ports.map((p) => `${host.includes(':') ? `[${host}]` : host}:${p}`);
  const list = addresses.join(',');
  const dir = path.resolve(io.cwd, values.dir);
  const certs = path.resolve(io.cwd, values.certs);
  const agentId = values.agentId;
  const children: Child[] = [];
  let agent: Child | null = null;
  let api: AdminApi | null = null;
  const cleanup = async (stopHandlers: boolean) => {
    if (api && stopHandlers) {
      await stopDemoHandlers(api);
    }
    api?.close();
    if (agent) await stop(agent);
    for (const c of [...children].reverse()) await stop(c);
  };
  try {
    ensureDir(dir, DATA_DIR_MODE, { followLink: true });
    await devCertificates(certs, agentId, io, host === '127.0.0.1' ? [] : [host]);

    // etcd: a fresh data dir each run (the dev cluster's state lives there), client and peer on free ports.
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const etcdData = path.join(dir, 'etcd');
    rmSync(etcdData, { recursive: true, force: true });
    const endpoint = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const etcd = start(
      'etcd',
      etcdBin,
      etcdMemberArgs({ name: 'gov-dev', dataDir: etcdData, clientUrl: endpoint, peerUrl: peer }),
      path.join(dir, 'etcd.log'),
      dir,
    );
    children.push(etcd);
    if (!(await waitUntil(async () => etcd.proc.exitCode === null && (await portOpen(clientPort)), 20_000)))
      await failWithLog(etcd, 'etcd did not start');

    for (let i = 0; i < MASTERS; i++) {
      const m = start(
        `master ${i + 1}`,
        process.execPath,
        [
          GOV_BIN,
          'master',
          '--store',
          'etcd',
          '--etcd-endpoints',
          endpoint,
          '--lease-ttl',
          DEV_LEASE_TTL,
          '--listen',
          addresses[i]!,
          '--advertise',
          addresses[i]!,
          '--http',
          'off',
          '--data-dir',
          path.join(dir, `master-${i + 1}`),
          '--ca',
          path.join(certs, 'ca.crt'),
          '--cert',
          path.join(certs, 'master.crt'),
          '--key',
          path.join(certs, 'master.key'),
        ],
        path.join(dir, `master-${i + 1}.log`),
        io.cwd,
      );
      children.push(m);
    }
    for (const [i, m] of children.slice(1).entries()) {
      if (!(await waitUntil(async () => m.proc.exitCode === null && (await portOpen(ports[i]!)), 20_000)))
        await failWithLog(m, `${m.name} did not start`);
    }

    agent = start(
      `agent ${agentId}`,
      process.execPath,
      devAgentArgs(dir, certs, agentId, list),
      path.join(dir, `agent-${agentId}.log`),
      io.cwd,
    );

    const material = devAdminMaterial(certs, io.cwd);
    const first = tls.clientConnection(addresses[0]!, material);
    api = createGrpcAdminApi({
      target: first.target,
      credentials: first.credentials,
      channelOptions: first.options,
      masters: addresses,
      channelFor: (address) => {
        const c = tls.clientConnection(address, material);
        return { target: c.target, credentials: c.credentials, options: c.options };
      },
    });
    const a = api;
    const connected = await waitUntil(async () => {
      if (agent!.proc.exitCode !== null) return true;
      const { agents } = await a.listAgents().catch(() => ({ agents: [] }));
      return agents.some((x) => x.id === agentId && x.connected);
    }, 30_000);
    if (!connected || agent.proc.exitCode !== null)
      await failWithLog(agent, 'the local agent did not connect');

    const demoPorts = await applyDemoHandlers(api, dir, agentId);
    const masters = await api.listMasters();

    const gov = govInvocation(io.env.PATH ?? '');
    io.out(
      [
        '',
        'Governor HA dev cluster is up',
        `  etcd      ${endpoint}   (data ${etcdData}, pid ${etcd.proc.pid})`,
        ...children.slice(1).map((m, i) => {
          const lead = masters.masters.find((x) => x.address === addresses[i])?.leader ? '  (leader)' : '';
          return `  ${m.name}  ${addresses[i]}   (pid ${m.proc.pid}, log ${m.log})${lead}`;
        }),
        `  agent     ${agentId}   (pid ${agent.proc.pid}, log ${agent.log})`,
        `  handlers  hello-web → http://127.0.0.1:${demoPorts[0]}   hello-api → http://127.0.0.1:${demoPorts[1]}`,
        '',
        `Next, in another terminal (in ${io.cwd}, where ./certs is):`,
        `  export GOV_MASTER=${list}`,
        `  ${gov} masters`,
        `  ${gov} ps`,
        `  kill -9 <the leader's pid>      # then: ${gov} masters, ${gov} ps — another master leads within seconds`,
        '',
        'Ctrl-C stops the demo handlers, the agent, the masters and etcd.',
        '',
      ].join('\n'),
    );
    if ((await untilStopped(io, agent.exited)) === 'agent-exit') {
      io.err(`the local agent exited unexpectedly (see ${agent.log})\n`);
      await cleanup(false);
      return EXIT_FAILED;
    }
    io.out('stopping the HA dev cluster...\n');
    await cleanup(true);
    return EXIT_OK;
  } catch (err) {
    await cleanup(false).catch(() => {});
    throw err;
  }
}
