/**
 * A real cluster's /metrics, read by a real exposition parser: per-instance series with handler, agent and
 * instance labels and the values the agents reported; the whole exposition passes `promtool check metrics`
 * (Debian prometheus; skipped only when it is not installed); and every metric the Grafana dashboard
 * (contrib/grafana/governor.json) queries is one the master exposes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processTree } from '../../agent/process/process-tree.js';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { REPO_ROOT, fixture, tempDir, waitFor } from '../helpers/common.js';
import {
  parseExposition,
  promtoolCheck,
  samples,
  valueOf,
  type ParsedFamily,
} from '../helpers/prometheus.js';

/** CPU seconds the tree rooted at `pid` has used (its live processes), now. */
function treeCpuSeconds(pid: number, hz: number): number {
  return processTree(pid).reduce((s, st) => s + (st.utime + st.stime) / hz, 0);
}

/** Every metric name a PromQL expression refers to (identifiers followed by `{`, `[` or an operator). */
export function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = new Set<string>();
  for (const m of withoutStrings.matchAll(/\b(governor_[a-z0-9_]+)\b/g)) names.add(m[1]!);
  return [...names];
}

/** The names a scrape offers to PromQL: each family's name, and a histogram's _bucket, _sum and _count. */
function queryableNames(families: Map<string, ParsedFamily>): Set<string> {
  const out = new Set<string>();
  for (const f of families.values()) {
    out.add(f.name);
    if (f.type === 'HISTOGRAM') for (const s of ['_bucket', '_sum', '_count']) out.add(f.name + s);
  }
  return out;
}

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

describe('Prometheus metrics of a live cluster', () => {
  let c: Cluster;
  let base = '';

  before(async () => {
    const config = path.join(tempDir('gov-prom-cfg-'), 'master.yaml');
    writeFileSync(config, 'metrics_interval: 300ms\n');
    c = await Cluster.start({
      agents: ['edge-1', 'edge-2'],
      masterArgs: ['--http', '127.0.0.1:0', '--config', config],
    });
    const port = /, http 127\.0\.0\.1:(\d+)/.exec(c.master?.stdout ?? '')?.[1];
    assert.ok(port, `no http port in: ${c.master?.stdout}`);
    base = `http://127.0.0.1:${port}`;
    const file = c.writeHandlers([
      {
        name: 'web',
        agents: ['edge-1', 'edge-2'],
        count: 2,
        command: [process.execPath, fixture('ticker.mjs')],
      },
    ]);
    await c.gov(['apply', '-f', file]);
    await c.waitInstances('web', 4, (i: PsInstance) => i.state === 'running');
  });
  after(async () => {
    await c?.stop();
  });

  it('serves per-instance series with handler, agent and instance labels and the reported figures', async () => {
    const running = await c.instances('web');
    const keys = running.map((i) => `${String(i.instance)}@${i.agent}`).sort();
    assert.deepEqual(keys, ['web#1@edge-1', 'web#1@edge-2', 'web@edge-1', 'web@edge-2']);
    // The agents push their metrics every interval: wait until each instance has CPU time on /metrics.
    const families = await waitFor(
      async () => {
        const f = parseExposition(await (await fetch(`${base}/metrics`)).text());
        const cpu = samples(f, 'governor_instance_cpu_seconds_total', { handler: 'web' });
        return cpu.length === 4 && cpu.every((s) => Number(s.value) > 0) ? f : null;
      },
      { timeoutMs: 30_000, what: 'CPU seconds of the four instances on /metrics' },
    );
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    for (const i of running) {
      const labels = { handler: 'web', agent: i.agent, instance: `${String(i.instance)}@${i.agent}` };
      assert.equal(valueOf(families, 'governor_instance_state', { ...labels, state: 'running' }), 1);
      assert.equal(samples(families, 'governor_instance_state', labels).length, 1);
      assert.equal(valueOf(families, 'governor_instance_restarts_total', labels), i.restarts);
      assert.equal(samples(families, 'governor_instance_health', labels).length, 1);
      const rss = valueOf(families, 'governor_instance_resident_memory_bytes', labels) ?? 0;
      assert.ok(rss > 10 * 1024 * 1024, `${labels.instance}: RSS ${rss}`);
      // Reported a moment ago: more than 0, and no more than the tree has used by now.
      const cpu = valueOf(families, 'governor_instance_cpu_seconds_total', labels) ?? 0;
      const now = treeCpuSeconds(Number(i.shim_pid ?? i.pid), hz);
      assert.ok(cpu > 0 && cpu <= now + 0.02, `${labels.instance}: ${cpu} s reported, tree used ${now} s`);
    }
    for (const agent of ['edge-1', 'edge-2']) {
      assert.equal(valueOf(families, 'governor_agent_connected', { agent }), 1);
      assert.ok((valueOf(families, 'governor_agent_memory_total_bytes', { agent }) ?? 0) > 0);
      assert.ok((valueOf(families, 'governor_agent_cpus', { agent }) ?? 0) >= 1);
    }
    assert.equal(valueOf(families, 'governor_instance_series_omitted'), 0);
    assert.ok(
      (valueOf(families, 'governor_executions_finished_total', { kind: 'apply', status: 'success' }) ?? 0) >=
        1,
    );
  });

  it('passes promtool check metrics', async function () {
    const r = promtoolCheck(await (await fetch(`${base}/metrics`)).text());
    if ('skipped' in r) {
      console.log(`    skipped: ${r.skipped}`);
      this.skip();
    }
    assert.equal(r.problems, '');
  });

  it('the Grafana dashboard parses and queries only metrics the master exposes', async () => {
    const file = path.join(REPO_ROOT, 'contrib', 'grafana', 'governor.json');
    const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
      schemaVersion: number;
      panels: Panel[];
      templating: { list: Array<{ name: string; type: string; query?: unknown; definition?: string }> };
    };
    assert.ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
    const vars = dashboard.templating.list;
    assert.ok(vars.some((v) => v.name === 'datasource' && v.type === 'datasource'));
    for (const name of ['agent', 'handler'])
      assert.ok(
        vars.some((v) => v.name === name),
        `variable ${name}`,
      );
    const exprs = [
      ...dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).flatMap((p) => p.targets ?? []),
    ]
      .map((t) => t.expr ?? '')
      .concat(vars.map((v) => (typeof v.query === 'string' ? v.query : (v.definition ?? ''))));
    const used = new Set(exprs.flatMap(metricNamesIn));
    assert.ok(used.size >= 10, `only ${used.size} metrics used: ${[...used].join(', ')}`);
    // Every family is listed (HELP and TYPE) even before it has samples.
    const exposed = queryableNames(parseExposition(await (await fetch(`${base}/metrics`)).text()));
    const missing = [...used].filter((n) => !exposed.has(n));
    assert.deepEqual(missing, [], `the dashboard queries metrics the master does not expose`);
  });
});
