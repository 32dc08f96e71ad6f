/**
 * The operator bench's outside observer (operator-bench.ts forks it: its own node process, never the CLI's nor
 * the bench's event loop). Polls `GET http://127.0.0.1:PORT/health` on every port of argv[2]..argv[3] every
 * 50 ms (each port on its own loop, a new connection per probe, 1 s probe timeout) and records each port's down
 * intervals: from the start of the first failed probe to the start of the next successful one (epoch ms).
 *
 * IPC (parent → poller → parent):
 * - `{type: 'begin'}` forgets the intervals recorded so far (a measured phase starts now);
 * - `{type: 'state'}` → `{type: 'state', up, probed, total, lastChange}` (ports up now, ports probed at least
 *   once, epoch ms of the last up/down);
 * - `{type: 'end'}` → `{type: 'report', intervals}` (still-down ports get `to: null`).
 */
import http from 'node:http';

export interface PortInterval {
  port: number;
  from: number;
  to: number | null;
}

export type PollerRequest = { type: 'begin' } | { type: 'state' } | { type: 'end' };
export type PollerReply =
  | { type: 'state'; up: number; probed: number; total: number; lastChange: number }
  | { type: 'report'; intervals: PortInterval[] };

const PERIOD_MS = 50;
const PROBE_TIMEOUT_MS = 1000;

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/health', agent: false, timeout: PROBE_TIMEOUT_MS },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}

function main(): void {
  const first = Number(process.argv[2]);
  const last = Number(process.argv[3]);
  if (!process.send || !Number.isInteger(first) || !Number.isInteger(last) || last < first) {
    console.error('usage: port-poller FIRST_PORT LAST_PORT (forked with an IPC channel)');
    process.exit(2);
  }
  const send = (m: PollerReply): void => void process.send?.(m);
  /** Per port: up now?, the start of its open down interval (if down). */
  const up = new Map<number, boolean>();
  const openSince = new Map<number, number>();
  let closed: PortInterval[] = [];
  let lastChange = Date.now();

  const loop = async (port: number): Promise<void> => {
    for (;;) {
      const at = Date.now();
      const ok = await probe(port);
      const was = up.get(port);
      if (ok && was !== true) {
        const from = openSince.get(port);
        if (from !== undefined) closed.push({ port, from, to: at });
        openSince.delete(port);
        lastChange = at;
      } else if (!ok && was !== false) {
        openSince.set(port, at);
        lastChange = at;
      }
      up.set(port, ok);
      await new Promise((r) => setTimeout(r, Math.max(0, at + PERIOD_MS - Date.now())));
    }
  };
  for (let p = first; p <= last; p++) void loop(p);

  process.on('message', (m: PollerRequest) => {
    if (m.type === 'begin') {
      closed = [];
      const now = Date.now();
      for (const port of openSince.keys()) openSince.set(port, now);
    } else if (m.type === 'state') {
      const n = [...up.values()].filter(Boolean).length;
      send({ type: 'state', up: n, probed: up.size, total: last - first + 1, lastChange });
    } else if (m.type === 'end') {
      const open = [...openSince.entries()].map(([port, from]) => ({ port, from, to: null }));
      send({ type: 'report', intervals: [...closed, ...open] });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

main();
