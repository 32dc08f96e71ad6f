/**
 * CLI start-up benchmark (issue 10): how long a `gov` command takes from exec to exit, beside `node -e 0`
 * (the floor any Node CLI pays) and `supervisorctl status`. Medians of BENCH_CLI_RUNS (20) runs each,
 * interleaved so that a busy machine weighs on every command alike; each printed with its ratio to
 * `node -e 0`. `gov ps` asks a real `gov master` holding 50 instances (one `gov agent`, 50 `sleep`
 * handlers); `supervisorctl status` asks a supervisord of our own (temp config, unix socket, 50 `sleep`
 * programs, stopped by its PID) when supervisord is installed.
 * `gov` is run as an operator runs it, by its `#!` line (which gives node its flags: master/cli/gov.ts).
 * Env: BENCH_CLI_RUNS (20); BENCH_GOV_BEFORE: the gov.js of another build (e.g. of the commit before a
 * change), timed too, interleaved with this one, so that both are compared under the same load.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { isAlive } from '../../shared/proc.js';
import { Cluster } from '../helpers/cluster.js';
import { GOV_BIN, cleanupPids, cleanupTempDirs, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { median } from './bench-kit.js';
import { writeSupervisordConf } from './supervisord-conf.js';

const INSTANCES = 50;

export interface Case {
  name: string;
  argv: string[];
  cwd?: string;
}

/** Wall time of one run, in ms; throws when it does not exit 0. */
export function timeRun(c: Case): number {
  const t0 = performance.now();
  const r = spawnSync(c.argv[0]!, c.argv.slice(1), {
    cwd: c.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return ms;
}

/** 50 handlers on one agent, all running. */
export async function clusterWith50(): Promise<Cluster> {
  // Starting 50 handlers at once keeps a busy 2-core machine from answering heartbeats for a while.
  const c = await Cluster.start({ agents: ['edge-1'], heartbeatGrace: '5s' });
  const specs = Array.from({ length: INSTANCES }, (_, i) => ({
    name: `app-${String(i).padStart(2, '0')}`,
    agents: ['edge-1'],
    command: ['sleep', '3600'],
    start_seconds: 0,
    stop_timeout: '2s',
  }));
  try {
    const file = c.writeHandlers(specs);
    // On a busy machine the agent may drop and redial meanwhile: apply (idempotent) until it is delivered.
    await waitFor(
      async () => {
        await c.waitAgentConnected('edge-1', true, 30_000);
        return (await c.gov(['apply', '-f', file])).code === 0;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'the 50 handlers to be applied' },
    );
    const all = await waitFor(
      async () => {
        const list = await c.instances();
        return list.length === INSTANCES && list.every((i) => i.state === 'running' && !!i.pid) ? list : null;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `${INSTANCES} instances running` },
    );
    for (const i of all) c.trackGroup(i.pgid);
    return c;
  } catch (err) {
    await c.stop(); // the handlers already started, too (from the agent's status file)
    throw err;
  }
}

interface Supervisord {
  child: ChildProcess;
  conf: string;
}

function supervisordInstalled(): boolean {
  const r = spawnSync('supervisord', ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** Our own supervisord (never the system one): temp config and socket, 50 `sleep` programs, all RUNNING. */
async function startSupervisord(): Promise<Supervisord> {
  const dir = tempDir('gov-bench-supervisord-');
  const programs = Array.from(
    { length: INSTANCES },
    (_, i) =>
      `[program:app-${String(i).padStart(2, '0')}]\ncommand=sleep 3600\nstartsecs=0\nstopsignal=KILL\n` +
      `stdout_logfile=${dir}/app-${i}.out\nstderr_logfile=${dir}/app-${i}.err\n`,
  );
  const conf = writeSupervisordConf(dir, dir, programs);
  const child = spawn('supervisord', ['-n', '-c', conf], { stdio: 'ignore' });
  if (!child.pid) throw new Error('supervisord did not start');
  trackPid(child.pid);
  const sd = { child, conf };
  try {
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`supervisord exited ${child.exitCode}`);
        const r = spawnSync('supervisorctl', ['-c', conf, 'status'], { encoding: 'utf8' });
        return (r.stdout.match(/ RUNNING /g) ?? []).length === INSTANCES;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `supervisord's ${INSTANCES} programs RUNNING` },
    );
  } catch (err) {
    await stopSupervisord(sd);
    throw err;
  }
  return sd;
}

/** SIGTERM to its PID: supervisord stops its programs, then exits. */
async function stopSupervisord(sd: Supervisord): Promise<void> {
  const pid = sd.child.pid!;
  if (sd.child.exitCode === null && sd.child.signalCode === null) sd.child.kill('SIGTERM');
  await waitFor(() => !isAlive(pid), { timeoutMs: 30_000, what: 'supervisord to exit' });
}

export async function runCliStartBench(): Promise<void> {
  const runs = Number(process.env.BENCH_CLI_RUNS ?? 20);
  const node = process.execPath;
  const govs: Array<[string, string]> = [['gov', GOV_BIN]];
  if (process.env.BENCH_GOV_BEFORE) govs.push(['before: gov', process.env.BENCH_GOV_BEFORE]);
  const c = await clusterWith50();
  let sd: Supervisord | undefined;
  try {
    const cases: Case[] = [{ name: 'node -e 0', argv: [node, '-e', '0'] }];
    for (const [label, gov] of govs) {
      const ps = [gov, 'ps', ...c.connectionArgs()];
      const listed = spawnSync(ps[0]!, ps.slice(1), { cwd: c.dir, encoding: 'utf8' });
      const rows = listed.stdout.split('\n').filter((l) => /^app-\d\d/.test(l)).length;
      if (listed.status !== 0 || rows !== INSTANCES)
        throw new Error(`${gov} ps listed ${rows} instances (exit ${listed.status}): ${listed.stderr}`);
      cases.push(
        { name: `${label} --version`, argv: [gov, '--version'] },
        { name: `${label} --help`, argv: [gov, '--help'] },
        { name: `${label} ps (${INSTANCES} instances)`, argv: ps, cwd: c.dir },
      );
    }
    if (supervisordInstalled()) {
      sd = await startSupervisord();
      cases.push({
        name: `supervisorctl status (${INSTANCES} programs)`,
        argv: ['supervisorctl', '-c', sd.conf, 'status'],
      });
    }
    for (const k of cases) timeRun(k); // warm the file cache
    const samples = new Map(cases.map((k) => [k.name, [] as number[]]));
    for (let i = 0; i < runs; i++) for (const k of cases) samples.get(k.name)!.push(timeRun(k));
    const floor = median(samples.get('node -e 0')!);
    console.log(`median of ${runs} runs each (interleaved), and the ratio to node -e 0:`);
    for (const k of cases) {
      const m = median(samples.get(k.name)!);
      console.log(`  ${k.name.padEnd(42)} ${m.toFixed(0).padStart(5)} ms   ×${(m / floor).toFixed(2)}`);
    }
    if (!sd) console.log('  supervisord: not installed, skipped');
  } finally {
    if (sd) await stopSupervisord(sd);
    await c.stop();
    await cleanupPids();
    cleanupTempDirs();
  }
}
