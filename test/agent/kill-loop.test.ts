/**
 * `kill -9` of the agent at any instant, however often, leaves no process of a handler that the next agent
 * does not know: 0 orphans, 0 duplicates (DESIGN §8 item 8). A real `gov agent --handlers` process is
 * killed again and again while a 4-instance handler is restarted as fast as it goes; the last agent must
 * account for every live process of the handler.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { listPids, readCmdline, readProcStat } from '../../shared/proc.js';
import { tempDir, trackPid, waitFor } from '../helpers/common.js';
import { readState, readStatus, startAgent, writeHandlers } from './helpers.js';

const KILLS = 30;
const COUNT = 4;

interface Audit {
  orphans: string[];
  duplicates: string[];
}

/** Every live process of the handler (shims name the data dir, mains carry the marker) vs the state file. */
function audit(data: string, marker: string, agentPid: number): Audit {
  const state = readState(data);
  const known = new Map<number, string>();
  for (const [key, rec] of Object.entries(state.instances)) {
    for (const h of [rec.handle, ...(rec.draining ?? [])]) if (h) known.set(h.pgid, key);
  }
  const orphans: string[] = [];
  const perGroup = new Map<number, number>();
  const shimsPerKey = new Map<string, number>();
  for (const pid of listPids()) {
    if (pid === agentPid) continue;
    const st = readProcStat(pid);
    const argv = st && st.state !== 'Z' && st.state !== 'X' ? readCmdline(pid) : null;
    if (!st || !argv) continue;
    const cmd = argv.join(' ');
    const isShim = cmd.includes(path.join(data, 'run'));
    if (!isShim && !argv.includes(marker)) continue;
    trackPid(st.pgid, true);
    const key = known.get(st.pgid);
    if (key === undefined) {
      orphans.push(`pid ${pid} (group ${st.pgid}): ${cmd.slice(-80)}`);
      continue;
    }
    if (isShim) shimsPerKey.set(key, (shimsPerKey.get(key) ?? 0) + 1);
    else perGroup.set(st.pgid, (perGroup.get(st.pgid) ?? 0) + 1);
  }
  const duplicates = [
    ...[...shimsPerKey].filter(([, n]) => n > 1).map(([k, n]) => `${k}: ${n} shims`),
    ...[...perGroup].filter(([, n]) => n > 1).map(([g, n]) => `group ${g}: ${n} mains`),
  ];
  return { orphans, duplicates };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('agent kill -9 at any instant', function () {
  this.timeout(240_000);
  this.slow(60_000);

  it(`${KILLS} kills while a ${COUNT}-instance handler restarts fast leave 0 orphans and 0 duplicates`, async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const marker = `gov-kill-loop-${randomBytes(4).toString('hex')}`;
    const file = writeHandlers(dir, [
      {
        name: 'churn',
        count: COUNT,
        command: ['/bin/sh', '-c', 'while :; do sleep 1; done', marker],
        restart: 'always',
        start_seconds: 0,
        stop_timeout: '500ms',
      },
    ]);
    const groupLeaderIsOurs = (pgid: number): boolean =>
      (readCmdline(pgid) ?? []).some((a) => a.startsWith(path.join(data, 'run')));
    for (let i = 0; i < KILLS; i++) {
      const agent = startAgent(file, data);
      const pid = agent.pid;
      await waitFor(() => readStatus(data)?.agent_pid === pid, { timeoutMs: 30_000, what: `agent ${i} up` });
      // Crash handler processes (whole groups, shim included) every few ms, so spawns never stop.
      const until = Date.now() + 50 + Math.random() * 350;
      while (Date.now() < until) {
        const live = (readStatus(data)?.instances ?? []).filter((s) => s.pgid && s.state === 'running');
        const victim = live[Math.floor(Math.random() * live.length)];
        if (victim?.pgid && groupLeaderIsOurs(victim.pgid)) {
          try {
            process.kill(-victim.pgid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        await sleep(10 + Math.random() * 20);
      }
      process.kill(pid, 'SIGKILL');
      await agent.exited;
    }
    const last = startAgent(file, data);
    await waitFor(
      () => {
        const doc = readStatus(data);
        return (
          doc?.agent_pid === last.pid && doc.instances.filter((s) => s.state === 'running').length === COUNT
        );
      },
      { timeoutMs: 30_000, what: `the last agent to run ${COUNT} instances` },
    );
    // Strays are stopped in the background (stop_signal, SIGKILL after stop_timeout): allow for that.
    let result: Audit = { orphans: [], duplicates: [] };
    await waitFor(
      () => {
        result = audit(data, marker, last.pid);
        return result.orphans.length === 0 && result.duplicates.length === 0;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'no orphan and no duplicate' },
    ).catch(() => {});
    process.kill(last.pid, 'SIGTERM');
    await last.exited;
    assert.deepEqual(result, { orphans: [], duplicates: [] });
  });
});
