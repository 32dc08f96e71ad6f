/**
 * The master's Prometheus metrics (served by http.ts at `/metrics`, which redacts them). Every figure comes
 * from what the master already holds — the registry's instance statuses, the agents' metrics reports as the
 * fleet keeps them (pushed every metrics interval: `fleet.changes` 'metrics'), the execution log's changes —
 * so a scrape asks no agent anything and stays cheap with hundreds of agents. The per-instance series are
 * written as text straight from that data (exposition.ts), not through a label map per series.
 *
 * Cardinality (README "Prometheus metrics"): per-instance series for at most `maxInstances` instances (in
 * `gov ps` order: handler, agent, index); the rest are counted by `governor_instance_series_omitted` and
 * a warning is logged once. State, health and temperature are one series per instance each (the current
 * value as a label, value 1). Label values are handler names, agent ids, instance keys (bounded by the name
 * rules) and fixed vocabularies (states, kinds, statuses).
 */
import { Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import type { InstanceMetrics__Output } from '../../proto/generated/governor/v1/InstanceMetrics.js';
import type { MetricsReport__Output } from '../../proto/generated/governor/v1/MetricsReport.js';
import type { ExecutionRecord } from '../../proto/generated/governor/v1/ExecutionRecord.js';
import { fleetTelemetry } from '../../shared/fleet-telemetry.js';
import type { Logger } from '../../shared/logger.js';
import { instanceTarget } from '../../shared/targets.js';
import type { Fleet } from '../fleet/fleet.js';
import { knownHealth, knownState, knownTemperature } from '../../shared/instance-states.js';
import { policyTelemetry, type PolicyReportView } from '../fleet/policy-telemetry.js';
import { Exposition, escapeLabel, labels, newHistogram, observe, type HistogramData } from './exposition.js';

export interface PrometheusOptions {
  /** At most this many instances get per-instance series (MasterOptions.metricsInstances). */
  maxInstances: number;
}

/** Upper bounds (seconds) of the cold-start histogram's buckets. */
export const COLD_START_BUCKETS_S: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The cold starts to observe from one instance's report: `prev` is the cold_starts counter of its previous
 * report (undefined: none since the master started — nothing observed, the counter is only remembered).
 * When the counter grew by n, the newest n durations of `recent_cold_starts_ms` (newest last) are new; a
 * counter that went down (the agent restarted) is a new baseline, nothing observed.
 */
export function newColdStartsMs(prev: number | undefined, m: InstanceMetrics__Output): number[] {
  if (prev === undefined || m.cold_starts <= prev) return [];
  const n = Math.min(m.cold_starts - prev, m.recent_cold_starts_ms.length);
  return n > 0 ? m.recent_cold_starts_ms.slice(-n) : [];
}

interface InstanceLabels {
  handler: string;
  /** `{handler="…",agent="…",instance="…"` */
  open: string;
  /** `open` + `}` */
  closed: string;
}

export class MasterMetrics {
  private readonly prom = new PromRegistry();
  /** Agent id → its last metrics report as the fleet kept it. */
  private readonly reports = new Map<string, MetricsReport__Output>();
  /** Agent id → instance key → cold_starts of its last report. */
  private readonly coldStartsSeen = new Map<string, Map<string, number>>();
  /** Handler → its cold-start histogram (seconds). */
  private readonly coldStarts = new Map<string, HistogramData>();
  /** `kind\0status` → executions that ended so, and late corrections (the agent's real outcome). */
  private readonly ended = new Map<string, number>();
  private readonly corrected = new Map<string, number>();
  /** `agent\0key` → the label set of its series, kept from one scrape to the next (names rarely change). */
  private instanceLabels = new Map<string, InstanceLabels>();
  private warnedOmitted = false;
  private readonly detach: () => void;

  constructor(
    private readonly fleet: Fleet,
    private readonly opts: PrometheusOptions,
    private readonly log: Logger,
  ) {
    collectDefaultMetrics({ register: this.prom, prefix: 'governor_master_' });
    // Gauges named like counters (promtool objects): each is the sum over its `type` label of the gauge
    // without `_total`, which stays.
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
      this.prom.removeSingleMetric(`governor_master_nodejs_${name}`);
    const onMetrics = (agent: string, report: MetricsReport__Output): void => this.noteReport(agent, report);
    const onExecution = (rec: ExecutionRecord): void => this.noteExecution(rec);
    fleet.changes.on('metrics', onMetrics);
    fleet.executions.changes.on('execution', onExecution);
    this.detach = () => {
      fleet.changes.off('metrics', onMetrics);
      fleet.executions.changes.off('execution', onExecution);
    };
  }

  get contentType(): string {
    return this.prom.contentType;
  }

  /** Stops listening to the fleet (the HTTP endpoint closed). */
  close(): void {
    this.detach();
  }

  private noteReport(agent: string, report: MetricsReport__Output): void {
    this.reports.set(agent, report);
    const before = this.coldStartsSeen.get(agent);
    const now = new Map<string, number>();
    for (const m of report.instances) {
      const key = m.instance || m.handler;
      for (const ms of newColdStartsMs(before?.get(key), m)) {
        let h = this.coldStarts.get(m.handler);
        if (!h) this.coldStarts.set(m.handler, (h = newHistogram(COLD_START_BUCKETS_S)));
        observe(h, ms / 1000);
      }
      now.set(key, m.cold_starts);
    }
    this.coldStartsSeen.set(agent, now);
  }

  /**
   * Each execution is counted once, when it ends (a final status: success, error, timeout). A late
   * correction (the agent's answer after the master gave up) does not count it again: it is counted in
   * `governor_execution_late_corrections_total` by the agent's real outcome.
   */
  private noteExecution(rec: ExecutionRecord): void {
    const status = rec.status ?? '';
    if (status === 'running' || status === '') return;
    const key = `${rec.kind ?? ''}\0${status}`;
    const counts = rec.late ? this.corrected : this.ended;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }

  /** The whole exposition: the master process's own metrics, then the fleet's. */
  async metrics(): Promise<string> {
    return (await this.prom.metrics()) + this.fleetText();
  }

  private fleetText(): string {
    const { registry, executions, hub } = this.fleet;
    const out = new Exposition();
    const instances = registry.listInstances();
    const agents = registry.listAgents();
    const connected = new Set(agents.filter((a) => hub.isConnected(a.id)).map((a) => a.id));
    for (const id of this.reports.keys()) if (!registry.getAgent(id)) this.forgetAgent(id);

    out.family('governor_agents', 'gauge', 'Known agents by connection state');
    out.sample('governor_agents', '{connected="true"}', connected.size);
    out.sample('governor_agents', '{connected="false"}', agents.length - connected.size);
    // By handler, then state: a state outside the lifecycle's vocabulary (an agent's own text) counts as unknown.
    const byState = new Map<string, Map<string, number>>();
    for (const i of instances) {
      const handler = i.status.handler ?? '';
      const state = knownState(i.status.state ?? '');
      const states = byState.get(handler) ?? new Map<string, number>();
      states.set(state, (states.get(state) ?? 0) + 1);
      byState.set(handler, states);
    }
    out.family('governor_instances', 'gauge', 'Instances by last reported state');
    for (const [handler, states] of byState)
      for (const [state, n] of states)
        out.sample(
          'governor_instances',
          labels([
            ['handler', handler],
            ['state', state],
          ]),
          n,
        );
    const specs = registry.listSpecs();
    out.family('governor_handlers_configured', 'gauge', 'Handler specs in the registry');
    out.sample('governor_handlers_configured', '', specs.length);
    const s = executions.stats();
    out.family(
      'governor_executions',
      'gauge',
      'Executions in the log buffer by status, and the lifetime count',
    );
    out.sample('governor_executions', '{status="success"}', s.success_count);
    out.sample('governor_executions', '{status="error"}', s.error_count);
    out.sample('governor_executions', '{status="lifetime"}', s.lifetime_executions);
    this.executionCounters(out);

    // Figures of connected agents only: a gone agent's last report is not current.
    const current: Array<{ agent: string; metrics: InstanceMetrics__Output }> = [];
    const byInstance = new Map<string, InstanceMetrics__Output>();
    for (const [agent, report] of this.reports) {
      if (!connected.has(agent)) continue;
      for (const m of report.instances) {
        current.push({ agent, metrics: m });
        byInstance.set(`${agent}\0${m.instance || m.handler}`, m);
      }
    }
    this.hostSeries(
      out,
      agents.map((a) => a.id),
      connected,
    );
    this.telemetry(
      out,
      fleetTelemetry(
        specs.map((v) => v.spec),
        current,
      ),
    );
    this.coldStartSeries(out, new Set(specs.map((v) => v.spec.name)));
    this.policySeries(out, this.fleet.policyReports());

    const shown = instances.slice(0, this.opts.maxInstances);
    const omitted = instances.length - shown.length;
    if (omitted > 0 && !this.warnedOmitted) {
      this.warnedOmitted = true;
      this.log.warn('per-instance metrics left out: more instances than --metrics-instances', {
        instances: instances.length,
        limit: this.opts.maxInstances,
        omitted,
      });
    }
    out.family(
      'governor_instance_series_omitted',
      'gauge',
      'Instances without per-instance series (more than --metrics-instances)',
    );
    out.sample('governor_instance_series_omitted', '', omitted);
    const seriesLabels = new Map<string, InstanceLabels>();
    const rows = shown.map((v) => {
      const handler = v.status.handler ?? '';
      const id = `${v.agent}\0${v.status.instance || handler}`;
      let l = this.instanceLabels.get(id);
      if (l?.handler !== handler) {
        const open = labels([
          ['handler', handler],
          ['agent', v.agent],
          ['instance', instanceTarget(handler, v.status.index ?? 0, v.agent)],
        ]).slice(0, -1); // `{handler="…",agent="…",instance="…"`: each series adds to it or closes it
        l = { handler, open, closed: `${open}}` };
      }
      seriesLabels.set(id, l);
      return { base: l.open, closed: l.closed, status: v.status, m: byInstance.get(id) };
    });
    this.instanceLabels = seriesLabels; // only the instances shown now: bounded like them
    const withLabel = (base: string, name: string, value: string): string =>
      `${base},${name}="${escapeLabel(value)}"}`;

    type Row = (typeof rows)[number];
    /** One family over every instance shown: `sample` gives a row's labels and value, or null for none. */
    const perInstance = (
      name: string,
      type: 'gauge' | 'counter',
      help: string,
      sample: (r: Row) => [labels: string, value: number] | null,
    ): void => {
      out.family(name, type, help);
      for (const r of rows) {
        const s = sample(r);
        if (s) out.sample(name, s[0], s[1]);
      }
    };
    const valueLabel = (r: Row, label: string, value: string): [string, number] => [
      withLabel(r.base, label, value),
      1,
    ];
    perInstance(
      'governor_instance_state',
      'gauge',
      'Lifecycle state of each instance (the current one, value 1)',
      (r) => valueLabel(r, 'state', knownState(r.status.state ?? '')),
    );
    perInstance(
      'governor_instance_health',
      'gauge',
      'Health of each instance (the current one, value 1)',
      (r) => valueLabel(r, 'health', knownHealth(r.status.health || 'unknown')),
    );
    perInstance(
      'governor_instance_temperature',
      'gauge',
      'On-demand temperature of each on-demand instance (the current one, value 1)',
      (r) =>
        r.status.temperature ? valueLabel(r, 'temperature', knownTemperature(r.status.temperature)) : null,
    );
    perInstance(
      'governor_instance_restarts_total',
      'counter',
      'Restarts of each instance since its spec was applied',
      (r) => [r.closed, r.status.restarts ?? 0],
    );
    perInstance(
      'governor_instance_cpu_seconds_total',
      'counter',
      'CPU time of the process tree of each instance since its agent began measuring it',
      (r) => (r.m ? [r.closed, r.m.cpu_seconds] : null),
    );
    perInstance(
      'governor_instance_resident_memory_bytes',
      'gauge',
      'Resident memory of the process tree of each instance',
      (r) => (r.m ? [r.closed, r.m.memory_bytes] : null),
    );
    perInstance(
      'governor_instance_last_cold_start_seconds',
      'gauge',
      'Duration of the last cold start of each on-demand instance',
      (r) => (r.m && r.m.last_cold_start_ms > 0 ? [r.closed, r.m.last_cold_start_ms / 1000] : null),
    );
    return out.text();
  }

  private executionCounters(out: Exposition): void {
    for (const [name, help, counts] of [
      [
        'governor_executions_finished_total',
        'Executions that ended since the master started, by kind and status',
        this.ended,
      ],
      [
        'governor_execution_late_corrections_total',
        'Ended executions corrected by a late agent answer, by kind and the answered status',
        this.corrected,
      ],
    ] as const) {
      out.family(name, 'counter', help);
      for (const [k, n] of counts) {
        const [kind = '', status = ''] = k.split('\0');
        out.sample(
          name,
          labels([
            ['kind', kind],
            ['status', status],
          ]),
          n,
        );
      }
    }
  }

  private hostSeries(out: Exposition, agents: string[], connected: ReadonlySet<string>): void {
    out.family('governor_agent_connected', 'gauge', 'Whether each agent is connected (1) or not (0)');
    for (const a of agents)
      out.sample('governor_agent_connected', labels([['agent', a]]), connected.has(a) ? 1 : 0);
    const hosts = agents.flatMap((a) => {
      const host = connected.has(a) ? this.reports.get(a)?.host : null;
      return host ? [{ l: labels([['agent', a]]), host }] : [];
    });
    const series = [
      ['governor_agent_load1', 'gauge', '1-minute load average of the agent host', (h) => h.load1],
      ['governor_agent_load5', 'gauge', '5-minute load average of the agent host', (h) => h.load5],
      ['governor_agent_load15', 'gauge', '15-minute load average of the agent host', (h) => h.load15],
      [
        'governor_agent_memory_total_bytes',
        'gauge',
        'Total memory of the agent host',
        (h) => h.mem_total_bytes,
      ],
      ['governor_agent_memory_free_bytes', 'gauge', 'Free memory of the agent host', (h) => h.mem_free_bytes],
      ['governor_agent_cpus', 'gauge', 'Logical CPUs of the agent host', (h) => h.cpus],
      [
        'governor_agent_resident_memory_bytes',
        'gauge',
        'Resident memory of the agent process',
        (h) => h.agent_rss_bytes,
      ],
      [
        'governor_agent_notify_ignored_total',
        'counter',
        'sd_notify datagrams the agent ignored since it started',
        (h) => h.notify_ignored,
      ],
    ] as const satisfies ReadonlyArray<
      readonly [
        string,
        'gauge' | 'counter',
        string,
        (h: NonNullable<MetricsReport__Output['host']>) => number,
      ]
    >;
    for (const [name, type, help, get] of series) {
      out.family(name, type, help);
      for (const { l, host } of hosts) out.sample(name, l, get(host));
    }
  }

  private telemetry(out: Exposition, t: ReturnType<typeof fleetTelemetry>): void {
    out.family('governor_fleet_memory_bytes', 'gauge', 'Resident memory of all measured instances');
    out.sample('governor_fleet_memory_bytes', '', Number(t.total_memory_bytes ?? 0));
    out.family(
      'governor_fleet_memory_saved_bytes',
      'gauge',
      'Memory the cold on-demand instances would use if they were always on (estimate)',
    );
    out.sample('governor_fleet_memory_saved_bytes', '', Number(t.memory_saved_bytes ?? 0));
    out.family('governor_fleet_on_demand_instances', 'gauge', 'On-demand instances by temperature');
    for (const [temperature, n] of Object.entries(t.by_temperature ?? {}))
      out.sample('governor_fleet_on_demand_instances', labels([['temperature', temperature]]), n);
    out.family(
      'governor_fleet_cold_start_average_seconds',
      'gauge',
      "Average cold start over the last hour (or the instances' last ones)",
    );
    out.sample('governor_fleet_cold_start_average_seconds', '', Number(t.avg_cold_start_ms ?? 0) / 1000);
    out.family('governor_fleet_cold_starts_last_hour', 'gauge', 'Cold starts in the last hour');
    out.sample('governor_fleet_cold_starts_last_hour', '', t.cold_starts_last_hour ?? 0);
  }

  /**
   * Resource policies as the agents last reported them: rules by state (a disconnected agent's under
   * `stale`), and each agent's own action counters by outcome. The counters keep their `agent` label: each
   * is that agent's lifetime count, which starts again when the agent restarts; a sum over agents would
   * look to Prometheus like a reset of the whole fleet's whenever one agent restarts.
   */
  private policySeries(out: Exposition, reports: readonly PolicyReportView[]): void {
    out.family(
      'governor_policy_rules',
      'gauge',
      'Resource policy rules (rule x subject) by last reported state',
    );
    for (const [state, n] of Object.entries(policyTelemetry(reports).policies_by_state))
      out.sample('governor_policy_rules', labels([['state', state]]), n);
    out.family(
      'governor_policy_actions_total',
      'counter',
      "Resource policy actions by outcome, each agent's lifetime count as it last reported",
    );
    for (const r of reports)
      for (const [outcome, n] of [
        ['acted', r.counters.actions],
        ['dry_run', r.counters.dry_run],
        ['suppressed_cooldown', r.counters.suppressed_cooldown],
        ['suppressed_budget', r.counters.suppressed_budget],
      ] as const)
        out.sample(
          'governor_policy_actions_total',
          labels([
            ['agent', r.agent],
            ['outcome', outcome],
          ]),
          n,
        );
  }

  private coldStartSeries(out: Exposition, handlers: ReadonlySet<string>): void {
    for (const h of this.coldStarts.keys()) if (!handlers.has(h)) this.coldStarts.delete(h);
    out.family(
      'governor_cold_start_duration_seconds',
      'histogram',
      'Cold starts of on-demand instances seen by the master, by handler',
    );
    for (const [handler, h] of this.coldStarts)
      out.histogram('governor_cold_start_duration_seconds', [['handler', handler]], h);
  }

  private forgetAgent(id: string): void {
    this.reports.delete(id);
    this.coldStartsSeen.delete(id);
  }
}
