/**
 * The control loop's actuators (DESIGN §9 Policies): a decision of the rule engine (rules.ts) carried out on
 * the supervisor, through the same operations as commands (commands.ts: restart, stop, signal — each
 * serialized per instance by the instance itself), and recorded, whatever happened, as an execution in the
 * agent's local audit (local/local-audit.ts: kind `policy`, issued_by `policy/<rule>`, params_summary the
 * metric values that fired it), which reaches the master's execution log like a local command.
 *
 * - restart / stop / signal: the subject instance (a restart never starts one an operator stopped since). freeze: the cgroup freezer (refused with why where it
 *   cannot freeze), thawed when the rule clears. limit_cpu / limit_memory: the instance's cgroup limit on top
 *   of its spec's (process/limit-override.ts), put back when the rule clears (also recorded), applied again
 *   when the instance starts anew while the rule still fires. alert: an event only (the record and a log line).
 * - cool: on-demand instances that are hot and hold no lease (`ensure --hold`) — a handler's rule: its own
 *   instance only — in `order`
 *   (least-recently-used: longest idle first; most-memory: largest last measured RSS first), at most `max`;
 *   each stopped (cold) as its idle timer would, each its own execution.
 * - A limit or a freeze outlives the agent (the kernel keeps it), the rule's state does not: both are kept in
 *   `policy-held.json` (held-actions.ts) and put back by the next agent at its start (`restore`, recorded).
 * - Observed processes only ever get `alert`: any other action on one is recorded as an alert, saying so.
 * - dry-run: nothing is done; the record says what would have been.
 */
import type { DurableStore } from '../../shared/durable-store.js';
import type { Logger } from '../../shared/logger.js';
import { errorMessage, StateError } from '../../shared/errors.js';
import { parseInstanceKey } from '../../shared/spec.js';
import { compareNames } from '../../shared/names.js';
import type { PolicyAction, PolicyRule } from '../../shared/policy-rules.js';
import { agentCommand, type AgentCommands } from '../commands.js';
import type { LocalAudit } from '../local/local-audit.js';
import type { InstanceStatus, Supervisor } from '../supervisor/supervisor.js';
import { openHeldActions, type HeldActions } from './held-actions.js';
import type { Clear, Decision } from './rules.js';
import { describeValues } from './values.js';

/** What one action did: the execution that records it, per instance acted on (or one for none). */
export interface ActOutcome {
  executions: Array<{ id: string; instance: string; ok: boolean; result: string; error: string }>;
}

type Override = { cpu_percent?: number; memory_bytes?: number };

export class Actuators {
  /** Limit overrides in force: instance key → rule → override (merged when applied). */
  private readonly overrides = new Map<string, Map<string, Override>>();
  /** Instances a rule froze: instance key → rules. */
  private readonly frozenBy = new Map<string, Set<string>>();
  /** Both of the above, on disk (null: no data dir, or not restored yet). */
  private held: DurableStore<HeldActions> | null = null;
  private readonly log: Logger;

  constructor(
    private readonly sup: Supervisor,
    private readonly commands: AgentCommands,
    private readonly audit: LocalAudit,
    logger: Logger,
    /** The last measured RSS of an instance (most-memory order). */
    private readonly lastRss: (key: string) => number,
    /** The supervisor's time (leases are in it). */
    private readonly now: () => number = Date.now,
    /** Where the limits and freezes in force are kept across agent restarts (none: not kept). */
    private readonly dataDir?: string,
  ) {
    this.log = logger.named('policy');
    // A new process of an instance runs on its spec's limits: the overrides in force apply again.
    sup.on('state', (c) => {
      if (c.to === 'running' && this.overrides.has(c.handler)) this.applyOverrides(c.handler);
    });
  }

  /**
   * Puts back the limits and freezes a previous agent's rules left in force (their rules start anew here),
   * each recorded as an execution of the rule; from then on keeps the record. Before any action.
   */
  async restore(): Promise<void> {
    if (!this.dataDir || this.held) return;
    let held: DurableStore<HeldActions>;
    try {
      held = await openHeldActions(this.dataDir, this.log);
    } catch (err) {
      this.log.error('policy record unreadable: limits and freezes of a previous run are not put back', {
        err,
      });
      return;
    }
    const { limit, freeze } = structuredClone(held.data);
    const put = async (kind: 'limit' | 'freeze', key: string, rules: string[]) => {
      for (const [i, rule] of rules.entries())
        await this.audit.record(
          {
            kind: 'policy',
            handler: parseInstanceKey(key).handler,
            instance: key,
            issued_by: `policy/${rule}`,
            params_summary: 'put back at the agent start: the rule starts anew',
          },
          async () => {
            if (i < rules.length - 1) return `${key}: put back with ${rules.at(-1)}`;
            if (kind === 'limit') return this.applyOverrides(key, 'reverted: ', true);
            await this.sup.thaw(key);
            return `thawed ${key}`;
          },
          (r: string) => r,
        );
    };
    for (const [key, rules] of Object.entries(limit)) await put('limit', key, rules);
    for (const [key, rules] of Object.entries(freeze)) await put('freeze', key, rules);
    this.held = held;
    await this.persist();
  }

  /** Stops keeping the record (after the last action). */
  async close(): Promise<void> {
    await this.held?.close();
    this.held = null;
  }

  /** Writes the limits and freezes in force to the record. */
  private persist(): Promise<void> {
    const entries = <T>(m: Map<string, Map<string, T> | Set<string>>) =>
      Object.fromEntries([...m].filter(([, r]) => r.size > 0).map(([k, r]) => [k, [...r.keys()]]));
    return (
      this.held?.update((d) => {
        d.limit = entries(this.overrides);
        d.freeze = entries(this.frozenBy);
      }) ?? Promise.resolve()
    );
  }

  /** Carries out (or, dry-run, records) one decision. Never throws: failures are in the records. */
  async act(d: Decision, rule: PolicyRule): Promise<ActOutcome> {
    const params = describeValues(d, rule);
    const targets = this.targets(d);
    const out: ActOutcome = { executions: [] };
    const list = targets.length > 0 ? targets : [null];
    for (const target of list) {
      const instance = target?.instance ?? d.instance;
      const handler = target?.handler ?? d.handler;
      const { event } = await this.audit.record(
        { kind: 'policy', handler, instance, issued_by: `policy/${d.rule}`, params_summary: params },
        () => this.perform(d, target, params),
        (result: string) => result,
      );
      const level = event.ok ? 'info' : 'warn';
      this.log[level]('policy action', {
        rule: d.rule,
        instance: instance || undefined,
        action: d.action_text,
        dry_run: d.dry_run,
        values: params,
        ok: event.ok,
        ...(event.ok ? { result: event.result } : { error: event.error }),
        execution: event.id,
      });
      out.executions.push({ id: event.id, instance, ok: event.ok, result: event.result, error: event.error });
    }
    return out;
  }

  /** Reverts what a rule's action changed (limits, a freeze) once it clears; recorded when there was any. */
  async revert(c: Clear): Promise<void> {
    if (c.dry_run || !c.instance) return;
    const kind = c.action.kind;
    if (kind !== 'limit_cpu' && kind !== 'limit_memory' && kind !== 'freeze') return;
    const key = c.instance;
    if (
      kind === 'freeze' ? !this.frozenBy.get(key)?.delete(c.rule) : !this.overrides.get(key)?.delete(c.rule)
    )
      return;
    await this.audit.record(
      {
        kind: 'policy',
        handler: c.handler,
        instance: key,
        issued_by: `policy/${c.rule}`,
        params_summary: `cleared: ${c.reason}`.slice(0, 120),
      },
      async () => {
        if (kind === 'freeze') {
          if (this.frozenBy.get(key)?.size) return `${key} stays frozen (another rule froze it)`;
          this.frozenBy.delete(key);
          await this.sup.thaw(key);
          return `thawed ${key}`;
        }
        return this.applyOverrides(key, 'reverted: ');
      },
      (r: string) => r,
    );
    await this.persist(); // after: an agent that dies before it is done leaves the record to revert it
  }

  /**
   * The instances an action is for: the subject, or for `cool` the ones chosen (an agent-wide rule: among
   * the host's; a handler's rule: its own instance alone); empty: the host, or nothing to cool.
   */
  private targets(d: Decision): Array<{ handler: string; instance: string }> {
    if (d.action.kind === 'cool') return this.chooseToCool(d.action.order, d.action.max, d.instance);
    return d.instance ? [{ handler: d.handler, instance: d.instance }] : [];
  }

  /** Hot on-demand instances holding no lease (only `only`, when given), in `order`, at most `max`. */
  private chooseToCool(
    order: string,
    max: number,
    only: string,
  ): Array<{ handler: string; instance: string }> {
    const now = this.now();
    const hot = this.sup
      .status()
      .filter(
        (s: InstanceStatus) =>
          (!only || s.instance === only) &&
          s.mode === 'on-demand' &&
          s.temperature === 'hot' &&
          !(s.activity.lease_until !== null && s.activity.lease_until > now),
      );
    const rank =
      order === 'most-memory'
        ? (s: InstanceStatus) => -this.lastRss(s.instance)
        : (s: InstanceStatus) => -s.activity.idle_ms;
    hot.sort((a, b) => rank(a) - rank(b) || compareNames(a.instance, b.instance));
    return hot.slice(0, Math.max(1, max)).map((s) => ({ handler: s.handler, instance: s.instance }));
  }

  /** The action itself (inside the audit record): its result in words, or a throw saying why not. */
  private async perform(
    d: Decision,
    target: { handler: string; instance: string } | null,
    params: string,
  ): Promise<string> {
    const a = d.action;
    const key = target?.instance ?? '';
    const observed = key !== '' && this.sup.observed.has(key);
    if (a.kind === 'alert' || observed) {
      const note =
        observed && a.kind !== 'alert' ? ` (${key} is observed: alert only, never ${d.action_text})` : '';
      return `${d.dry_run ? 'dry-run: ' : ''}alert${key ? ` ${key}` : ''}: ${d.reason || params}${note}`;
    }
    if (!target) {
      if (a.kind === 'cool')
        return `${d.dry_run ? 'dry-run: ' : ''}nothing to cool: ${
          d.instance ? `${d.instance} is not hot, or holds a lease` : 'no on-demand instance is hot'
        }`;
      throw new StateError(`${d.action_text} needs an instance; an agent-wide rule may only cool or alert`);
    }
    if (d.dry_run) return `dry-run: would ${d.action_text} ${key}`;
    return this.run(a, target, d.rule);
  }

  private async run(
    a: PolicyAction,
    t: { handler: string; instance: string },
    rule: string,
  ): Promise<string> {
    const key = t.instance;
    const command = (kind: 'RESTART' | 'STOP' | 'SIGNAL', signal = '') =>
      this.commands.execute(agentCommand({ kind, handler: t.handler, instance: key, signal }));
    switch (a.kind) {
      case 'restart': {
        // Never one an operator stopped since the rule fired (decided in the instance's own turn).
        const s = await this.sup.restart(key, { onlyIfMeantToRun: true });
        return `${s.instance} ${s.state}${s.pid ? ` pid ${s.pid}` : ''}`;
      }
      case 'stop':
        return (await command('STOP')).summary ?? `stopped ${key}`;
      case 'cool':
        return `cooled ${(await command('STOP')).summary ?? key}`;
      case 'signal':
        return (await command('SIGNAL', a.signal)).summary ?? `sent ${a.signal} to ${key}`;
      case 'freeze': {
        // Recorded first: an agent that dies right after freezing it leaves the record to thaw it.
        let rules = this.frozenBy.get(key);
        if (!rules) this.frozenBy.set(key, (rules = new Set()));
        const had = rules.has(rule);
        rules.add(rule);
        await this.persist();
        try {
          await this.sup.freeze(key);
        } catch (err) {
          if (!had) rules.delete(rule);
          await this.persist();
          throw err;
        }
        return `froze ${key} until the rule clears`;
      }
      case 'limit_cpu':
      case 'limit_memory': {
        const o: Override =
          a.kind === 'limit_cpu' ? { cpu_percent: a.cpu_percent } : { memory_bytes: a.memory_bytes };
        let rules = this.overrides.get(key);
        if (!rules) this.overrides.set(key, (rules = new Map()));
        rules.set(rule, o);
        await this.persist(); // first: an agent that dies right after leaves the record to revert it
        // Not running now (restarting since the sample that fired it): in force, applied once it runs.
        const state = this.sup.status().find((s) => s.instance === key)?.state;
        if (state !== undefined && state !== 'running')
          return `${key} is ${state}: its limit applies once it runs, while the rule fires`;
        try {
          return this.applyOverrides(key, '', true);
        } catch (err) {
          rules.delete(rule);
          await this.persist();
          throw err;
        }
      }
      default:
        return `alert ${key}`;
    }
  }

  /** Applies the overrides in force on `key` (none: the spec's limits); throws with why it could not. */
  private applyOverrides(key: string, prefix = '', strict = false): string {
    const rules = this.overrides.get(key);
    const merged: Override = {};
    for (const o of rules?.values() ?? []) {
      if (o.cpu_percent !== undefined)
        merged.cpu_percent = Math.min(merged.cpu_percent ?? Infinity, o.cpu_percent);
      if (o.memory_bytes !== undefined)
        merged.memory_bytes = Math.min(merged.memory_bytes ?? Infinity, o.memory_bytes);
    }
    if (rules && rules.size === 0) this.overrides.delete(key);
    let r;
    try {
      r = this.sup.overrideLimits(key, rules && rules.size > 0 ? merged : null);
    } catch (err) {
      r = { ok: false as const, reason: errorMessage(err) };
    }
    if (!r.ok) {
      if (strict) throw new StateError(`${key}: limit not changed: ${r.reason}`);
      this.log.warn('limit override not applied', { instance: key, reason: r.reason });
      return `${prefix}limit not changed: ${r.reason}`;
    }
    return `${prefix}${key} limits now ${r.applied}`;
  }
}
