/**
 * Rollout RPCs of the Admin service (DESIGN §5), the engine's port onto the Fleet, and the rolling
 * update an Apply starts (`draftUpdateForApply`: one rollout over every changed handler).
 */
import { specChange } from '../../shared/spec-hash.js';
import type { AdminHandlers } from '../../proto/generated/governor/v1/Admin.js';
import type { StartRolloutRequest__Output } from '../../proto/generated/governor/v1/StartRolloutRequest.js';
import { ValidationError } from '../../shared/errors.js';
import { requestTargets } from '../../shared/targets.js';
import { resolveTargets } from '../state/targets.js';
import type { HandlerSpec } from '../../shared/spec.js';
import {
  compileUpdateFields,
  refuseField,
  requestedOverrides,
  type UpdateSpec,
} from '../../shared/update-policy.js';
import { unary } from '../api/unary.js';
import type { Fleet } from '../fleet/fleet.js';
import type { SpecPlan, SpecVersion } from '../state/registry.js';
import { specHash } from '../state/registry.js';
import { toRolloutProto } from './create.js';
import { RolloutEngine } from './engine.js';
import type { RolloutPort } from './step.js';
import { RolloutStore } from './store.js';
import { continueWhenConnected } from './continue.js';
import type { StateStore } from '../state/store.js';
import type { Logger } from '../../shared/logger.js';
import type { RolloutRecord } from './types.js';

type RolloutRpcs = Pick<
  AdminHandlers,
  'StartRollout' | 'GetRollout' | 'ListRollouts' | 'PauseRollout' | 'ResumeRollout' | 'AbortRollout'
>;

/** The engine's view of the master: commands through the dispatcher, status from the registry. */
export function fleetPort(fleet: Fleet): RolloutPort {
  const { registry } = fleet;
  return {
    command: (req) => fleet.command(req),
    isConnected: (agent) => fleet.hub.isConnected(agent),
    instances: (handler) => registry.listInstances({ handler }),
    spec: (handler, version) =>
      version === undefined ? registry.getSpec(handler) : registry.getSpecVersion(handler, version),
    agentsFor: (spec) => registry.agentsFor(spec),
    pushSpecs: async (agents, issuedBy) => {
      await fleet.pushSpecs(agents, issuedBy, { kind: 'rollback' });
    },
    reRegister: async (specs, alongside) => {
      const plan = registry.planSpecs(specs);
      const versions = plan.applied.map((a) => a.version);
      await registry.storeSpecs(plan, (d) => alongside(versions, d));
      return versions;
    },
  };
}

/** Request overrides → a partial update block; bad values are refused as INVALID_ARGUMENT, naming the field. */
export function compileOverrides(req: StartRolloutRequest__Output): Partial<UpdateSpec> {
  return compileUpdateFields(requestedOverrides(req), refuseField);
}

/** Before an Apply changes anything: refused whole when a changed handler has an active rollout. */
export function checkApplyAllowed(engine: RolloutEngine, fleet: Fleet, specs: readonly HandlerSpec[]): void {
  for (const s of specs) {
    const current = fleet.registry.getSpec(s.name);
    if (current && current.hash !== specHash(s)) engine.assertIdle(s.name);
  }
}

/**
 * The rolling update an Apply starts: ONE rollout over every handler whose spec `plan` changes and that has
 * instances (their `update` blocks merged by the strictest, policy.ts); null when nothing has to move. Drafted
 * only: the Apply stores it in the same write as the specs (Registry.storeSpecs, RolloutEngine.stage), so the
 * APPLY push holds every handler it covers, and a master killed between two writes never leaves new specs
 * without their rollout (the next push would restart every changed instance at once). Then `run` it.
 */
export function draftUpdateForApply(
  engine: RolloutEngine,
  fleet: Fleet,
  plan: SpecPlan,
  before: ReadonlyMap<string, SpecVersion | undefined>,
  issuedBy: string,
): RolloutRecord | null {
  const handlers: Array<{ handler: string; from: SpecVersion; to: SpecVersion }> = [];
  for (const a of plan.applied) {
    const prev = before.get(a.name);
    const to = plan.versions.get(a.name);
    if (a.change !== 'updated' || !prev || !to) continue;
    if (fleet.registry.listInstances({ handler: a.name }).length === 0) continue;
    // Only how a process runs needs one: a change of its resource policies, or of where and how many times it
    // runs (agents, selector, count), reaches the agents with the APPLY, which restarts none of its processes.
    if (specChange(prev.spec, to.spec) === 'process') handlers.push({ handler: a.name, from: prev, to });
  }
  if (handlers.length === 0) return null;
  const r = engine.draft({ kind: 'update', handlers, issuedBy });
  return r.instances.length > 0 ? r : null;
}

/**
 * What a StartRollout names: its `targets` (or, from older clients, the one `handler`), resolved against the
 * registry — unknown names and observed processes refused before anything starts — as the handlers to
 * restart and, per handler, the instances (`agent/key`) when the set names only some of them.
 */
export function restartTargets(
  fleet: Fleet,
  req: StartRolloutRequest__Output,
): Array<{ handler: string; from: SpecVersion; to: SpecVersion; only?: ReadonlySet<string> }> {
  const set = requestTargets(req);
  const resolved = resolveTargets(fleet.registry, set, { empty: 'refuse', observed: 'refuse' });
  const out: Array<{ handler: string; from: SpecVersion; to: SpecVersion; only?: ReadonlySet<string> }> = [];
  for (const handler of resolved.handlers) {
    const current = fleet.registry.getSpec(handler);
    if (!current) continue;
    const named = resolved.instances.filter((i) => i.handler === handler);
    const every = named.length === fleet.registry.agentsFor(current.spec).length * current.spec.count;
    const only = new Set(named.map((i) => `${i.agent}/${i.key}`));
    out.push({ handler, from: current, to: current, ...(every ? {} : { only }) });
  }
  return out;
}

export function rolloutHandlers(fleet: Fleet, engine: RolloutEngine): RolloutRpcs {
  const requireId = (id: string): string => {
    if (!id) throw new ValidationError('a rollout id is required (see gov rollout status)');
    return id;
  };
  return {
    StartRollout: unary(async (req, issuedBy) => {
      const overrides = compileOverrides(req);
      const r = await engine.specChanges.run(() =>
        engine.create({ kind: 'restart', handlers: restartTargets(fleet, req), overrides, issuedBy }),
      );
      engine.run(r.id);
      return toRolloutProto(r);
    }),
    GetRollout: unary(async (req) => toRolloutProto(engine.get(requireId(req.id)))),
    ListRollouts: unary(async (req) => ({
      rollouts: engine.list(req.handler || undefined).map(toRolloutProto),
    })),
    PauseRollout: unary(async (req, by) => toRolloutProto(await engine.pause(requireId(req.id), by))),
    ResumeRollout: unary(async (req) => toRolloutProto(await engine.resume(requireId(req.id)))),
    AbortRollout: unary(async (req, by) => toRolloutProto(await engine.abort(requireId(req.id), by))),
  };
}

/**
 * Opens the rollout engine on the master store: restores (in-flight → paused) and hooks APPLY holds. With
 * `inFlight: 'continue'` (an HA leader taking over), the paused ones continue once their agents are back.
 */
export async function openRollouts(
  fleet: Fleet,
  store: StateStore,
  logger: Logger,
  inFlight: 'pause' | 'continue' = 'pause',
  continueWaitMs = CONTINUE_WAIT_MS,
): Promise<RolloutEngine> {
  const log = logger.named('rollout');
  const engine = new RolloutEngine(fleetPort(fleet), new RolloutStore(store), log);
  const paused = await engine.restore();
  fleet.heldHandlers = () => engine.heldHandlers();
  fleet.deferredInstances = (agent) => engine.deferredInstances(agent);
  if (inFlight === 'continue')
    continueWhenConnected(engine, paused, (a) => fleet.hub.isConnected(a), log, continueWaitMs);
  return engine;
}

/** How long a new HA leader waits for the agents of an in-flight rollout before it continues anyway. */
const CONTINUE_WAIT_MS = 30_000;
