/**
 * Reconciling the supervised instances with the wanted specs (apply), and moving one instance to a spec
 * (a rollout's UPDATE step). Instances change spec only here: stopped, re-specced, persisted, restarted.
 */
import { ValidationError } from '../../shared/errors.js';
import { instanceKey, parseInstanceKey, type HandlerSpec } from '../../shared/spec.js';
import { specChange } from '../../shared/spec-hash.js';
import type { InstanceStatus } from '../instance/instance.js';
import type { InstanceRegistry } from './instance-registry.js';
import { specHash } from './state-store.js';

export interface ReconcileOptions {
  /**
   * Handlers the master has a record against (deleted by an admin, or whose spec no longer targets this
   * agent): the only handlers an apply stops and removes besides replicas above a spec's count. A handler
   * the master merely does not know (a new or emptied store, an adoption it refused) is never stopped:
   * stopping takes an explicit delete or a change of targets. A spec that differs only in its targets
   * (`agents`, `selector`) or `count` is stored without a restart.
   */
  remove?: ReadonlySet<string>;
  /**
   * Resolve once each start is spawned (Instance.launch) instead of when it left `starting`: an APPLY from
   * the master, whose answer must not wait out a start window of minutes (`start_seconds`, `start_timeout`).
   */
  launchOnly?: boolean;
  /**
   * Instance keys a rolling update starts in its batch (replicas it adds, DESIGN §5): not created here,
   * whatever the spec's count; `rolloutStep` creates each in its turn.
   */
  defer?: ReadonlySet<string>;
}

/** The wanted specs by handler name; a name given twice is refused before anything changes. */
export function wantedSpecs(specs: HandlerSpec[]): Map<string, HandlerSpec> {
  const wanted = new Map<string, HandlerSpec>();
  for (const s of specs) {
    if (wanted.has(s.name)) throw new ValidationError(`duplicate handler name ${JSON.stringify(s.name)}`);
    wanted.set(s.name, s);
  }
  return wanted;
}

/**
 * Starts new handlers, stops removed ones, restarts those whose spec changed and leaves matching ones
 * alone; resolves when every change is done (a start: see `launchOnly`). Existing instances of a `hold`
 * handler (under a rolling update) keep their spec: rollouts move them with `rolloutStep`.
 */
export async function reconcile(
  reg: InstanceRegistry,
  specs: HandlerSpec[],
  hold: ReadonlySet<string>,
  opts: ReconcileOptions = {},
): Promise<void> {
  const wanted = wantedSpecs(specs);
  const work: Array<Promise<unknown>> = [];
  for (const inst of reg.values()) {
    const spec = wanted.get(inst.spec.name);
    if (spec ? inst.index >= (spec.count ?? 1) : opts.remove?.has(inst.spec.name))
      work.push(reg.remove(inst));
  }
  for (const spec of wanted.values()) {
    const hash = specHash(spec);
    for (let index = 0; index < (spec.count ?? 1); index++) {
      const key = instanceKey(spec.name, index);
      const inst = reg.find(key);
      if (!inst && opts.defer?.has(key)) continue; // its rollout starts it
      const create = (): Promise<unknown> => createInstance(reg, spec, index, opts.launchOnly);
      // Being removed (an earlier apply's count, or a removal an agent restart finishes): created afresh after.
      if (reg.removal(key)) work.push(reg.afterRemoval(key, create));
      else if (!inst) work.push(create());
      else if (inst.specHash !== hash && !hold.has(spec.name)) {
        // Only where or how many times it runs, or its resource policies, changed: the same process,
        // stored without a restart.
        if (specChange(inst.spec, spec) !== 'process') {
          [inst.spec, inst.specHash] = [spec, hash];
          work.push(inst.persist());
        } else work.push(inst.respec(spec, hash, { launchOnly: opts.launchOnly }));
      }
    }
  }
  await Promise.all(work);
}

/** Creates instance `index` of `spec` and starts it (Instance.begin; `launchOnly`: see ReconcileOptions). */
function createInstance(
  reg: InstanceRegistry,
  spec: HandlerSpec,
  index: number,
  launchOnly?: boolean,
): Promise<unknown> {
  const created = reg.add(spec, index);
  // A live process of it that the state file did not name (stray-shims.ts): adopted, not spawned again.
  const stray = reg.takeUnrecorded(created.name);
  return stray ? created.adoptUnrecorded(stray, launchOnly) : created.begin(launchOnly);
}

/**
 * Puts one instance on `spec` and restarts it, also when the spec is the same (rolling restart). An
 * instance an operator stopped only gets the spec stored. One the agent does not run yet (a replica a rolling
 * update adds, deferred by the APPLY) is created on `spec` — when `spec`'s count has room for it.
 */
export async function rolloutStep(
  reg: InstanceRegistry,
  key: string,
  spec: HandlerSpec,
): Promise<InstanceStatus> {
  const { handler, index } = parseInstanceKey(key);
  if (spec.name !== handler)
    throw new ValidationError(`instance ${key} belongs to ${handler}, not ${spec.name}`);
  const name = instanceKey(handler, index);
  await reg.removal(name); // one being removed (a lowered count) is created afresh after
  if (!reg.find(name)) {
    if (index >= (spec.count ?? 1))
      throw new ValidationError(
        `instance ${key} does not run here, and the spec's count ${spec.count ?? 1} has no room for it`,
      );
    await createInstance(reg, spec, index);
    return reg.get(name).status();
  }
  const inst = reg.get(name);
  const hash = specHash(spec);
  // Whether it is meant to run is read in its turn (an operator's stop may be queued ahead of the step).
  // Paced by boot (instance/boot-slots.ts): a batch's instances go down as slots free, not all at once.
  if (inst.specHash !== hash) await inst.respec(spec, hash, { paced: true });
  else await inst.restart({ unlessStopped: true, paced: true });
  return inst.status();
}
