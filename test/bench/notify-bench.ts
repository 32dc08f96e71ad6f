/**
 * sd_notify benchmark (issue 12): a notify message → the state change visible. Target p50 ≤ 5 ms.
 *
 * A notify handler (test/fixtures/notify.mjs) sends one `STATUS=bench-N` datagram the moment a line
 * reaches it over TCP (its own sender PID: a forged datagram would be ignored), and notes when it sent it
 * on CLOCK_MONOTONIC (`process.hrtime`, one clock for every process of the machine). Each figure is from
 * that send — the notify message — to the first read of a PROBE that shows `bench-N`; the same from the
 * bench's write of the trigger line is printed beside it (it adds the bench's own hop to the handler,
 * 0.5–1 ms here). Probes (pluggable: `Probe`, one line each in `probes()`):
 * - `agent`: the agent's own status (an in-process Supervisor's `status` event): the receiver, the
 *   mapping by PID/cgroup and the instance;
 * - `local socket ListInstances` — THE figure of the target ("state change visible in `gov --local ps`"):
 *   from the trigger write (the handler sends the datagram at once on it) to the first answer of the agent's
 *   local control socket that shows the new text, asked by an in-process client of the socket (the one
 *   `gov --local ps` uses) back to back with no sleep of its own: each query goes out as soon as the last
 *   one answered, so the figure is the path's delay plus at most one query's round trip. `gov --local ps`
 *   as a whole command also starts Node (~300 ms): the local-ps bench times that wall separately;
 * - `master`: the master's instance list through the admin API, polled in-process (the agent's link status
 *   push included, no CLI start);
 * - `gov --local ps --json` and `gov ps --json`: the CLI commands themselves, run in a loop (each read
 *   includes Node's start; the master one's wall is printed too).
 * Messages are spaced by NOTIFY_STATUS_PUSH_MS (the instance pushes STATUS= changes at most once per that,
 * a flood guard: back to back, every second message would wait for the window's end, which is the guard's
 * cost, not the path's latency).
 * Env: BENCH_NOTIFY_MESSAGES (50; 10 for the CLI probe).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { NOTIFY_STATUS_PUSH_MS } from '../../agent/instance/instance.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { parseHandler } from '../../shared/spec.js';
import { Cluster } from '../helpers/cluster.js';
import {
  GOV_BIN,
  cleanupPids,
  cleanupTempDirs,
  fixture,
  tempDir,
  trackPid,
  waitFor,
} from '../helpers/common.js';
import { loadNote, pct } from './bench-kit.js';
import { spawn } from 'node:child_process';
import type { AdminApi } from '../../master/cli/admin-client.js';
import type { AdminConnection } from '../../master/cli/connect.js';
import { localConnector } from '../../master/cli/local-connect.js';
import { LOCAL_SOCKET_FILE } from '../../shared/local-socket.js';

const FIXTURE = fixture('notify.mjs');

/** Reads the handler's current STATUS= text as some consumer sees it. */
interface Probe {
  name: string;
  /** The status text now (or, for event-driven probes, once it changes to `want`). */
  read(want: string): Promise<string | null>;
  /** How many messages to time (a CLI probe is slow). */
  messages: number;
}

function fmt(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}

/** A TCP connection to the handler: `send(text)` makes it send one datagram now; `sentTimes()` asks when
 * (CLOCK_MONOTONIC ns, `process.hrtime.bigint()` in any process) it sent those since the last ask. */
interface Trigger {
  send(text: string): void;
  sentTimes(): Promise<bigint[]>;
  close(): void;
}

async function trigger(portFile: string): Promise<Trigger> {
  const port = Number(
    await waitFor(
      () => {
        try {
          return readFileSync(portFile, 'utf8') || null;
        } catch {
          return null;
        }
      },
      { what: 'the handler trigger port' },
    ),
  );
  const sock = net.connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  return {
    send: (text) => sock.write(`${text.replaceAll('\n', '\\n')}\n`),
    sentTimes: () =>
      new Promise((resolve) => {
        let buf = '';
        const on = (d: Buffer): void => {
          buf += d.toString();
          if (!buf.endsWith('\n\n') && buf !== '\n') return;
          sock.off('data', on);
          resolve(buf.split('\n').filter(Boolean).map(BigInt));
        };
        sock.on('data', on);
        sock.write('?sent\n');
      }),
    close: () => sock.destroy(),
  };
}

const msSince = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

/**
 * Times `probe.messages` messages: the datagram sent → the probe shows it (the target's figure), and the
 * trigger written → shown (the same plus the bench's own hop to the handler); prints p50/p95/max.
 */
async function measure(probe: Probe, t: Trigger): Promise<void> {
  const triggered: bigint[] = [];
  const shown: bigint[] = [];
  for (let i = 0; i < probe.messages; i++) {
    const want = `bench-${probe.name.replace(/\W+/g, '-')}-${i}`;
    const t0 = process.hrtime.bigint();
    t.send(`STATUS=${want}`);
    for (;;) {
      if ((await probe.read(want)) === want) break;
      if (msSince(t0, process.hrtime.bigint()) > 10_000)
        throw new Error(`bench: ${probe.name} never showed ${want}`);
    }
    shown.push(process.hrtime.bigint());
    triggered.push(t0);
    await new Promise((r) => setTimeout(r, NOTIFY_STATUS_PUSH_MS));
  }
  const sent = await t.sentTimes();
  if (sent.length !== shown.length)
    throw new Error(`bench: the handler sent ${sent.length} datagrams for ${shown.length} messages`);
  const line = (what: string, from: readonly bigint[]): string => {
    const times = shown.map((s, i) => msSince(from[i]!, s)).sort((a, b) => a - b);
    return `${what} p50 ${fmt(pct(times, 50))}, p95 ${fmt(pct(times, 95))}, max ${fmt(times.at(-1) ?? NaN)}`;
  };
  console.log(
    `notify → visible (${probe.name}): ${line('datagram sent → shown:', sent)} over ${shown.length} messages ` +
      `(target p50 ≤ 5 ms; ${loadNote()}); ${line('from the trigger written:', triggered)}`,
  );
}

const handler = (portFile: string) => ({
  name: 'talker',
  command: [process.execPath, FIXTURE],
  notify: true,
  env: { NOTIFY_TRIGGER_FILE: portFile },
});

/** The agent alone: an in-process supervisor's `status` event. */
async function benchAgent(messages: number): Promise<void> {
  const dir = tempDir('gov-bench-notify-');
  const sup = await Supervisor.create({ dataDir: path.join(dir, 'data') });
  try {
    const portFile = path.join(dir, 'port');
    await sup.applySpecs([parseHandler(handler(portFile), 'handlers[0]', 'bench')]);
    trackPid(sup.status('talker')[0]?.pgid ?? undefined, true);
    const t = await trigger(portFile);
    const probe: Probe = {
      name: 'agent status',
      messages,
      read: (want) =>
        new Promise((resolve) => {
          const now = sup.status('talker')[0]?.notify_status ?? null;
          if (now === want) return resolve(now);
          const on = (): void => {
            const s = sup.status('talker')[0]?.notify_status ?? null;
            if (s !== want) return;
            sup.off('status', on);
            resolve(s);
          };
          sup.on('status', on);
        }),
    };
    await measure(probe, t);
    t.close();
    await sup.stop('talker');
  } finally {
    await sup.shutdown();
  }
}

/** `gov` run as a user would, on the agent's local control socket (no master, no certificates). */
async function govLocal(socket: string, args: string[]): Promise<string> {
  const child = spawn(process.execPath, [GOV_BIN, '--socket', socket, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`bench: gov --socket ${socket} ${args.join(' ')} exited ${code}`);
  return out;
}

/** The probes through a master and on the agent's local socket (add one here to time another command). */
function probes(c: Cluster, local: AdminApi, socket: string, messages: number): Probe[] {
  const statusOf = (json: string): string | null =>
    (JSON.parse(json) as { instances: Array<{ notify_status: string | null }> }).instances[0]
      ?.notify_status ?? null;
  return [
    {
      name: 'local socket ListInstances (what gov --local ps asks)',
      messages,
      read: async () =>
        (await local.listInstances({ handler: 'talker' })).instances[0]?.status?.notify_status ?? null,
    },
    {
      name: 'gov --local ps --json (whole command)',
      messages: Math.min(messages, 10),
      read: async () => statusOf(await govLocal(socket, ['ps', 'talker', '--json'])),
    },
    {
      name: 'master admin API',
      messages,
      read: async () => (await c.instances('talker'))[0]?.notify_status as string | null,
    },
    {
      name: 'gov ps --json',
      messages: Math.min(messages, 10),
      read: async () => {
        const r = await c.gov(['ps', 'talker', '--json']);
        const doc = JSON.parse(r.stdout) as { instances: Array<{ notify_status: string | null }> };
        return doc.instances[0]?.notify_status ?? null;
      },
    },
  ];
}

async function benchMaster(messages: number): Promise<void> {
  const c = await Cluster.start({ agents: ['edge-1'] });
  try {
    const portFile = path.join(c.dir, 'port');
    await c.govJson(['apply', '-f', c.writeHandlers([{ ...handler(portFile), agents: ['edge-1'] }])]);
    await c.waitInstances('talker', 1, (i) => i.state === 'running');
    const t = await trigger(portFile);
    const socket = path.join(c.agentDataDir('edge-1'), LOCAL_SOCKET_FILE);
    // The connector reads no TLS settings (the socket's permissions are the authorization).
    const local = await localConnector(socket)({ timeoutMs: 10_000 } as AdminConnection);
    try {
      for (const p of probes(c, local, socket, messages)) await measure(p, t);
    } finally {
      local.close();
    }
    const walls: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await c.gov(['ps', 'talker', '--json']);
      walls.push(performance.now() - t0);
    }
    walls.sort((a, b) => a - b);
    console.log(`gov ps --json command wall (Node start included): p50 ${fmt(pct(walls, 50))}`);
    t.close();
  } finally {
    await c.stop();
  }
}

export async function runNotifyBench(): Promise<void> {
  const messages = Number(process.env.BENCH_NOTIFY_MESSAGES ?? 50);
  // The notify socket's watcher does not keep a process alive (an agent has its link or status file).
  const alive = setInterval(() => {}, 1000);
  try {
    await benchAgent(messages);
    await benchMaster(messages);
  } finally {
    clearInterval(alive);
    await cleanupPids();
    cleanupTempDirs();
  }
}
