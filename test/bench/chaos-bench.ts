/**
 * Chaos benchmark (DESIGN §8 items 3, 6, 8): a real master and two real agents (the built binary), mixed
 * admin commands (apply, delete, restart, stop, start) in a loop, and BENCH_CHAOS_KILLS (200) random
 * `kill -9` spread over the agents and the master, each restarted after its kill. Then it counts:
 * - orphans: live handler processes (shims naming an agent's data dir, mains carrying the marker) in no
 *   process group the agent's state file records;
 * - duplicates: more than one live shim for one instance of one agent;
 * - strangers signalled: signal-recorder processes (not governed by anyone) that received any signal;
 * - acknowledged executions missing from `gov executions`.
 * Target: 0, 0, 0, 0. Env: BENCH_CHAOS_KILLS (200).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AgentState } from '../../agent/supervisor/state-store.js';
import { listPids, readCmdline, readProcStat } from '../../shared/proc.js';
import { Cluster } from '../helpers/cluster.js';
import { cleanupPids, cleanupTempDirs, fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';

const AGENTS = ['edge-1', 'edge-2'];
const STRANGERS = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

interface Figures {
  orphans: string[];
  duplicates: string[];
}

/** Every live handler process against the groups the agents' state files record. */
function audit(c: Cluster, marker: string): Figures {
  const known = new Map<number, string>();
  const runDirs = new Map<string, string>();
  for (const id of AGENTS) {
    const data = c.agentDataDir(id);
    runDirs.set(path.join(data, 'run'), id);
    let state: AgentState;
    try {
      state = JSON.parse(readFileSync(path.join(data, 'state.json'), 'utf8')) as AgentState;
    } catch {
      continue;
    }
    for (const [key, rec] of Object.entries(state.instances)) {
      for (const h of [rec.handle, ...(rec.draining ?? [])]) if (h) known.set(h.pgid, `${key}@${id}`);
    }
  }
  const agentPids = new Set([...c.agents.values()].map((a) => a.pid));
  const orphans: string[] = [];
  const shims = new Map<string, number>();
  for (const pid of listPids()) {
    if (agentPids.has(pid)) continue;
    const st = readProcStat(pid);
    const argv = st && st.state !== 'Z' && st.state !== 'X' ? readCmdline(pid) : null;
    if (!st || !argv) continue;
    const exitFile = argv.find((a) => runDirs.has(path.dirname(a)) && a.endsWith('.exit'));
    if (!exitFile && !argv.includes(marker)) continue;
    c.trackGroup(st.pgid);
    const owner = known.get(st.pgid);
    if (owner === undefined) orphans.push(`pid ${pid} group ${st.pgid}: ${argv.join(' ').slice(-70)}`);
    else if (exitFile) shims.set(owner, (shims.get(owner) ?? 0) + 1);
  }
  const duplicates = [...shims].filter(([, n]) => n > 1).map(([k, n]) => `${k}: ${n} shims`);
  return { orphans, duplicates };
}

async function stranger(dir: string, i: number): Promise<string> {
  const signals = path.join(dir, `stranger-${i}.signals`);
  const ready = path.join(dir, `stranger-${i}.ready`);
  const p = spawn(process.execPath, [fixture('signal-recorder.mjs'), signals, ready], {
    detached: true,
    stdio: 'ignore',
  });
  trackPid(p.pid, true);
  p.unref();
  await waitFor(() => existsSync(ready), { what: 'stranger ready' });
  return signals;
}

/** Starts the master again; on a busy machine a start may miss the cluster's deadline: kill and retry. */
async function restartMaster(c: Cluster): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await c.startMaster();
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
      console.log(`chaos: master start ${attempt} too slow, retrying`);
      await c.killMaster('SIGKILL');
    }
  }
}

export async function runChaosBench(): Promise<void> {
  const kills = Number(process.env.BENCH_CHAOS_KILLS ?? 200);
  const t0 = performance.now();
  const marker = `gov-chaos-${randomBytes(4).toString('hex')}`;
  const strangerDir = tempDir('gov-chaos-strangers-');
  const strangers = await Promise.all(Array.from({ length: STRANGERS }, (_, i) => stranger(strangerDir, i)));
  const c = await Cluster.start({ agents: AGENTS, masterArgs: ['--execution-log-size', '100000'] });
  const keepAlive = setInterval(() => {}, 1 << 30);
  const handler = (name: string, count: number): Record<string, unknown> => ({
    name,
    agents: AGENTS,
    count,
    command: ['/bin/sh', '-c', 'while :; do sleep 1; done', marker],
    restart: 'always',
    start_seconds: 0,
    stop_timeout: '500ms',
  });
  const svcYaml = readFileSync(c.writeHandlers([handler('svc', 2)]), 'utf8');
  const extraYaml = readFileSync(c.writeHandlers([handler('extra', 1)]), 'utf8');
  const acked = new Set<string>();
  let sent = 0;
  let failed = 0;
  const counts = { agent: 0, master: 0 };
  /** Time spent killing and restarting each (ms). */
  const spent = { agent: 0, master: 0 };
  try {
    for (const r of (await c.admin().apply(svcYaml, 'svc.yaml')).executions) acked.add(r.id);
    await c.waitInstances('svc', 4, (i) => i.state === 'running', '4 svc instances', 30_000);

    const command = async (): Promise<void> => {
      const api = c.admin();
      const kind = pick(['apply', 'delete', 'restart', 'stop', 'start', 'start'] as const);
      sent++;
      try {
        const res =
          kind === 'apply'
            ? await api.apply(extraYaml, 'extra.yaml')
            : kind === 'delete'
              ? await api.deleteHandler('extra')
              : await api.control(kind, 'svc', Math.random() < 0.5 ? pick(AGENTS) : undefined);
        for (const r of res.executions) acked.add(r.id);
      } catch {
        failed++; // refused, timed out or the master died: not acknowledged
      }
    };

    // Up to 3 commands in flight at any time, never awaited by the kill loop (a command to a killed agent
    // waits for its deadline).
    const inflight = new Set<Promise<void>>();
    for (let i = 0; i < kills; i++) {
      while (inflight.size < 3) {
        const p: Promise<void> = command().finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await sleep(Math.random() * 600);
      const k0 = performance.now();
      const victim = Math.random() < 0.25 ? 'master' : 'agent';
      if (victim === 'master') {
        counts.master++;
        await c.killMaster('SIGKILL');
        await restartMaster(c);
      } else {
        counts.agent++;
        const id = pick(AGENTS);
        await c.killAgent(id, 'SIGKILL');
        await c.startAgent(id, { waitConnected: false });
      }
      spent[victim] += performance.now() - k0;
      if ((i + 1) % 20 === 0) {
        const s = ((performance.now() - t0) / 1000).toFixed(0);
        console.log(`chaos: ${i + 1}/${kills} kills, ${sent} commands (${failed} not acknowledged), ${s} s`);
      }
    }
    await Promise.all(inflight);
    for (const id of AGENTS) await c.waitAgentConnected(id, true, 30_000);

    let figures: Figures = { orphans: [], duplicates: [] };
    await waitFor(
      () => {
        figures = audit(c, marker);
        return figures.orphans.length === 0 && figures.duplicates.length === 0;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'no orphan, no duplicate' },
    ).catch(() => {});
    const signalled = strangers.filter((f) => existsSync(f) && readFileSync(f, 'utf8').trim() !== '');
    const listed = await c.govJson<{ records: Array<{ id: string }> }>(['executions', '--limit', '100000']);
    const present = new Set(listed.records.map((r) => r.id));
    const missing = [...acked].filter((id) => !present.has(id));
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `chaos: ${kills} kill -9 (${counts.agent} agent, ${counts.master} master), ${sent} admin commands ` +
        `(${acked.size} executions acknowledged, ${failed} commands not acknowledged) in ${secs.toFixed(1)} s`,
    );
    console.log(
      `chaos: restarts took ${(spent.master / Math.max(1, counts.master)).toFixed(0)} ms per master kill, ` +
        `${(spent.agent / Math.max(1, counts.agent)).toFixed(0)} ms per agent kill`,
    );
    console.log(
      `chaos: orphans ${figures.orphans.length}, duplicates ${figures.duplicates.length}, ` +
        `strangers signalled ${signalled.length}/${STRANGERS}, acknowledged executions missing ${missing.length}/${acked.size}`,
    );
    for (const line of [...figures.orphans, ...figures.duplicates, ...missing.slice(0, 10)])
      console.log(`  ${line}`);
    if (figures.orphans.length + figures.duplicates.length + signalled.length + missing.length > 0) {
      process.exitCode = 1;
    }
  } finally {
    clearInterval(keepAlive);
    await c.stop().catch(() => {});
    await cleanupPids();
    cleanupTempDirs();
  }
}
