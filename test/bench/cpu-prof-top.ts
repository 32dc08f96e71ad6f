/**
 * Prints the top functions by self time of `.cpuprofile` files (`node --cpu-prof`), e.g. those the idle
 * benchmark writes with BENCH_IDLE_CPU_PROF: `node dist/test/bench/cpu-prof-top.js DIR/*.cpuprofile [N]`.
 * Idle time (`(idle)`) is left out of the percentages: they are shares of the time the process was busy.
 * `--from S --to S` keeps only the samples between S seconds after the profile's start (the idle benchmark
 * prints the measuring windows so).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function top(file: string, n: number, fromS: number, toS: number): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    const node = byId.get(id);
    t += p.timeDeltas[i] ?? 0;
    const dt = p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0;
    const at = (t - p.startTime) / 1e6;
    if (!node || at < fromS || at > toS) return;
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idle += dt;
      return;
    }
    busy += dt;
    const where = f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const wall = Math.min(toS, (p.endTime - p.startTime) / 1e6) - fromS;
  console.log(
    `${path.basename(file)}: ${wall.toFixed(1)} s profiled, busy ${(busy / 1e6).toFixed(2)} s ` +
      `(${((busy / (busy + idle)) * 100).toFixed(2)} % of the samples)`,
  );
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(
      `  ${((us / busy) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`,
    );
  }
}

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const fromS = opt('--from', 0);
const toS = opt('--to', Infinity);
const n = /^\d+$/.test(args[args.length - 1] ?? '') ? Number(args.pop()) : 20;
for (const f of args) top(f, n, fromS, toS);
