/**
 * One rollout step: an UPDATE command to one instance (an execution with the rollout id), then the
 * health gate (plan.ts `judgeStep`) polled against what the agent reports, until the instance
 * is done, failed, or the step is cancelled. Never outlives its deadlines.
 */
import type { Logger } from '../../shared/logger.js';
import { parseInstanceKey, type HandlerSpec } from '../../shared/spec.js';
import { instanceSpecHash } from '../../shared/spec-hash.js';
import type { DispatchOutcome, DispatchRequest } from '../fleet/dispatcher.js';
import type { InstanceView, SpecVersion } from '../state/registry.js';
import type { MasterState } from '../state/store.js';
import { judgeStep, type Observation, type StepWatch } from './plan.js';
import type { RolloutInstanceRecord, RolloutRecord, RolloutState } from './types.js';

/** What the rollout engine needs from the master (a Fleet in production, a fake in tests). */
export interface RolloutPort {
  command(req: Omit<DispatchRequest, 'onResult'>): Promise<DispatchOutcome>;
  isConnected(agent: string): boolean;
  instances(handler: string): InstanceView[];
  spec(handler: string, version?: number): SpecVersion | undefined;
  agentsFor(spec: HandlerSpec): string[];
  /**
   * Registers `specs` as their handlers' current versions again (a rollback), in ONE write with what
   * `alongside` changes meanwhile: it runs inside that write, given the version each spec gets (in order) and
   * the state to put the rollout's record into (RolloutContext.stage). Resolves with those versions.
   */
  reRegister(
    specs: HandlerSpec[],
    alongside: (versions: number[], d: MasterState) => void,
  ): Promise<number[]>;
  /**
   * Sends `agents` their assigned specs (an APPLY push, recorded as issued by `issuedBy`): the handlers a
   * rollout holds keep their instances' specs, but get the replicas of their current spec's count and agents
   * (failure.ts: a rollback's previous count). Once an agent applied it, the master forgets what it removed.
   */
  pushSpecs(agents: string[], issuedBy: string): Promise<void>;
}

/** Set by abort/shutdown: steps stop waiting and write nothing more. */
export interface CancelToken {
  cancelled: boolean;
}

/**
 * What the engine hands the code that runs a rollout (batch driver, failure policy, steps): the one
 * context of a running rollout.
 */
export interface RolloutContext {
  port: RolloutPort;
  log: Logger;
  now: () => number;
  /** How often a step re-checks its instance. */
  pollMs: number;
  /** Persists the rollout (a no-op once the engine is closed); steps mutate its records in place. */
  save: (r: RolloutRecord) => Promise<void>;
  /** Changes the rollout's state (and logs `{from, to}`). */
  transition: (r: RolloutRecord, to: RolloutState) => void;
  /** Puts the rollout's record into the state `d`, inside a write someone else makes (see `reRegister`). */
  stage: (d: MasterState, r: RolloutRecord) => void;
}

/** Resolves after `ms`, or within ~100 ms of `token` being cancelled; never keeps the process alive. */
export function sleepUnlessCancelled(ms: number, token: CancelToken): Promise<void> {
  return new Promise((resolve) => {
    const step = Math.min(ms, 100);
    const t = setTimeout(() => {
      if (token.cancelled || ms <= step) resolve();
      else void sleepUnlessCancelled(ms - step, token).then(resolve);
    }, step);
    t.unref();
  });
}

export function observe(port: RolloutPort, s: RolloutInstanceRecord): Observation {
  const { handler } = s;
  const v = port
    .instances(handler)
    .find((x) => x.agent === s.agent && (x.status.instance || handler) === s.instance);
  const exit = v?.status.last_exit;
  const lastExit = exit
    ? exit.signal
      ? `EXITED signal=${exit.signal}`
      : exit.code !== undefined && exit.code !== null
        ? `EXITED code=${exit.code}`
        : ''
    : '';
  return {
    connected: port.isConnected(s.agent),
    state: v?.status.state ?? '',
    health: v?.status.health ?? '',
    healthReason: v?.status.health_reason ?? '',
    pid: v?.status.pid ?? 0,
    restarts: v?.status.restarts ?? 0,
    specHash: v?.status.spec_hash ?? '',
    lastExit,
  };
}

/**
 * Whether the command of `s`'s interrupted run was carried out: the instance runs a process other than the one
 * that run began with (`from_pid`), on the spec the step puts it on (a rolling restart's spec is the one it
 * ran). `own`: one restart since (`from_restarts`), the step's own, and the gate judges that process;
 * `replaced`: more, so the step's process was replaced meanwhile (a crash and the restart policy's new start),
 * which fails the step as the gate would have had it been watching; `no`: send it (again).
 */
function carriedOutAs(
  s: RolloutInstanceRecord,
  now: Observation,
  spec: HandlerSpec,
): 'no' | 'own' | 'replaced' {
  if (s.from_pid === undefined || now.pid === 0 || now.pid === s.from_pid) return 'no';
  if (now.specHash !== instanceSpecHash(spec)) return 'no';
  return s.from_restarts === undefined || now.restarts <= s.from_restarts + 1 ? 'own' : 'replaced';
}

/**
 * Runs one step on `s`: forward (`healthy`) or rollback (`rolled_back`); `failed` with a reason
 * otherwise; `skipped` for an instance an operator had stopped.
 */
export async function runStep(
  ctx: RolloutContext,
  r: RolloutRecord,
  s: RolloutInstanceRecord,
  target: SpecVersion,
  token: CancelToken,
  rollback: boolean,
): Promise<void> {
  const startedAt = ctx.now();
  const progressEndsAt = Date.parse(r.running_since) + r.progress_deadline_ms;
  const before = observe(ctx.port, s);
  // An interrupted step's command may have been carried out already: then nothing is sent again (an UPDATE
  // carried out twice restarts the instance twice, and the agent's answer cache is no proof: a restarted
  // agent has none, and newer commands push old answers out), and the new process is judged.
  const carried = s.interrupted === true ? carriedOutAs(s, before, target.spec) : 'no';
  const carriedOut = carried !== 'no';
  const restartsSince = before.restarts - (s.from_restarts ?? before.restarts);
  if (!rollback && !carriedOut) s.old_pid = before.pid || s.old_pid;
  if (!carriedOut) {
    s.from_pid = before.pid;
    s.from_restarts = before.restarts;
  }
  // An interrupted step sends its stored command again (the agent answers it from its cache if it already
  // carried it out); any other run is a new command, whose ids are stored before it is sent. Until then it
  // has none: an earlier run's ids (the forward step a rollback step follows, a try before a pause) stored
  // with this run's `in_progress` would be sent again after a master restart, and the agent would answer
  // that earlier command from its cache — this run never carried out, and judged on the earlier one.
  const redeliver =
    s.interrupted && s.execution_id && s.command_id
      ? { executionId: s.execution_id, commandId: s.command_id }
      : undefined;
  delete s.interrupted;
  if (!redeliver && !carriedOut) {
    delete s.execution_id;
    delete s.command_id;
  }
  s.state = 'in_progress';
  s.reason = '';
  s.started_at = new Date(startedAt).toISOString();
  s.done_at = '';
  await ctx.save(r);
  if (token.cancelled) return; // aborted meanwhile: nothing is sent
  const total = r.batches.length;
  const finish = async (state: RolloutInstanceRecord['state'], reason = ''): Promise<void> => {
    s.state = state;
    s.reason = reason && rollback ? `rollback: ${reason}` : reason;
    s.done_at = new Date(ctx.now()).toISOString();
    // A failed rollback step is not tried again by this rollback (plan.ts `nextAction` goes on with the rest).
    if (rollback && state === 'failed') s.rollback_failed = true;
    await ctx.save(r);
  };
  // A rollback to a spec that does not place the instance (a replica the update added): the rollback's APPLY
  // push removed it (failure.ts `restorePlacement`); the step waits until its agent no longer has it.
  if (rollback && !places(ctx.port, target.spec, s)) {
    const endsAt = Math.min(startedAt + r.healthy_deadline_ms, progressEndsAt);
    return awaitRemoval(ctx, s, endsAt, finish, token);
  }
  if (carried === 'replaced') {
    return finish(
      'failed',
      `process replaced while the master was away (${restartsSince} restarts since the step began)` +
        (before.lastExit ? ` after ${before.lastExit}` : ''),
    );
  }
  let newPid = before.pid;
  if (!carriedOut) {
    // `changed` (what a rollback puts back) once the command may reach the agent: a command refused before
    // it was sent (agent not connected) changed nothing; one sent whose answer never came may have.
    if (redeliver) s.changed = true;
    const out = await ctx.port.command({
      ...(redeliver ? { redeliver } : {}),
      onBegun: async (executionId, commandId) => {
        s.execution_id = executionId;
        s.command_id = commandId;
        s.changed = true;
        await ctx.save(r);
      },
      kind: 'UPDATE',
      executionKind: 'rollout-step',
      handler: s.handler,
      agent: s.agent,
      issuedBy: r.issued_by,
      rolloutId: r.id,
      instance: s.instance,
      specs: [target.spec],
      timeoutMs: Math.max(1, Math.min(r.healthy_deadline_ms, progressEndsAt - startedAt)),
      paramsSummary: rollback
        ? `rollout ${r.id} rollback: ${s.instance} → version ${target.version}`
        : `rollout ${r.id} batch ${s.batch + 1}/${total}: ${s.instance} → version ${target.version}`,
    });
    if (token.cancelled) return;
    if (out.record.status !== 'success') {
      return finish(
        'failed',
        `${out.record.status}: ${out.record.error || 'the agent did not carry out the step'}`,
      );
    }
    const reported = out.result?.instances[0];
    if (reported?.state === 'stopped') {
      // Its spec is the one asked for; an operator's stop is kept. Rolled back too: the previous spec is back.
      return finish(
        rollback ? 'rolled_back' : 'skipped',
        'stopped by an operator: the spec was stored, the instance not started',
      );
    }
    newPid = reported?.pid ?? 0;
  }
  const watch: StepWatch = { startedAt, newPid, readySince: null };
  s.new_pid = watch.newPid;
  const gate = {
    minHealthyMs: r.min_healthy_time_ms,
    healthyDeadlineMs: r.healthy_deadline_ms,
    progressEndsAt,
  };
  for (;;) {
    const o = observe(ctx.port, s);
    const v = judgeStep(watch, o, gate, ctx.now());
    if (v.verdict === 'healthy') {
      s.new_pid = o.pid || s.new_pid;
      return finish(rollback ? 'rolled_back' : 'healthy');
    }
    if (v.verdict === 'failed') return finish('failed', v.reason);
    watch.readySince = v.readySince;
    // Wake up right when min_healthy_time ends rather than up to a poll later.
    const untilDone = v.readySince === null ? ctx.pollMs : v.readySince + r.min_healthy_time_ms - ctx.now();
    await sleepUnlessCancelled(Math.max(1, Math.min(ctx.pollMs, untilDone)), token);
    if (token.cancelled) return;
  }
}

/** Whether `spec` places instance `s` (its agents, its count). */
function places(port: RolloutPort, spec: HandlerSpec, s: RolloutInstanceRecord): boolean {
  return port.agentsFor(spec).includes(s.agent) && parseInstanceKey(s.instance).index < spec.count;
}

/**
 * A rollback step whose spec does not place its instance: done (`rolled_back`) once the master no longer lists
 * it (an agent forgets it once it applied the rollback's APPLY push); failed when its agent is gone or it is
 * still listed after healthy_deadline.
 */
async function awaitRemoval(
  ctx: RolloutContext,
  s: RolloutInstanceRecord,
  endsAt: number,
  finish: (state: RolloutInstanceRecord['state'], reason?: string) => Promise<void>,
  token: CancelToken,
): Promise<void> {
  for (;;) {
    const o = observe(ctx.port, s);
    if (o.state === '') return finish('rolled_back');
    if (!o.connected)
      return finish('failed', 'agent disconnected before it removed the replica the update added');
    if (ctx.now() >= endsAt) {
      return finish('failed', `the replica the update added still runs (state ${o.state}, pid ${o.pid})`);
    }
    await sleepUnlessCancelled(ctx.pollMs, token);
    if (token.cancelled) return;
  }
}
