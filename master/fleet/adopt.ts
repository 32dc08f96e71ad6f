/**
 * Adopting what an agent runs when the master has no record of it (a new or emptied store): the agent
 * reports its cached specs in its hello; each handler the master does not know becomes a new spec
 * version marked `adopted`, validated like an apply, restricted to that agent (`agents: [id]`, no
 * selector — an agent's certificate never creates a spec that reaches another agent), and recorded as
 * an execution of kind `adopt` issued by `agent:<id>`. Never more than MAX_ADOPTED_PER_AGENT per agent (nor
 * MAX_ADOPTED_BYTES_PER_AGENT bytes, each spec within the YAML limits: shared/spec-wire.ts specFromWire);
 * the rest are left alone (the post-hello sync never stops a handler, see agent/supervisor/reconcile.ts).
 *
 * A second agent reporting an adopted handler with the same spec (targets aside) is added to its
 * `agents`; with a different spec it is a conflict: logged and recorded as a failed `adopt`, and that
 * agent's instances are left running (an adopted spec never names removals) until an admin applies or
 * deletes that handler. A handler with an admin's spec is never changed by a report; one that an admin
 * deleted, or whose admin spec no longer targets the agent, is not adopted: the master has a record of that
 * decision, and every push to that agent names it for removal (Registry.removalsFor).
 */
import type { HandlerSpec__Output as WireSpec } from '../../proto/generated/governor/v1/HandlerSpec.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { HandlerSpec } from '../../shared/spec.js';
import type { ExecutionLog } from '../state/execution-log.js';
import { specBytes } from '../../shared/spec-wire.js';
import { specHash, type Registry } from '../state/registry.js';
import { reportedSpec } from './wire.js';

/**
 * Most adopted handlers one agent may be among the targets of, over all its hellos (a bound on what one
 * agent certificate can make the master store).
 */
export const MAX_ADOPTED_PER_AGENT = 256;

/**
 * Most bytes (specs serialized as JSON, shared/spec-wire.ts specBytes) of the adopted handlers one agent is
 * among the targets of, over all its hellos: the count cap alone let one agent store 256 specs of up to
 * a message each (~1 GB in master.json). 8 MiB is twice what one APPLY or hello can carry (4 MiB, the
 * message limit, in protobuf; JSON spells keys out), so an agent never runs more than it allows.
 */
export const MAX_ADOPTED_BYTES_PER_AGENT = 8 * 1024 * 1024;

export interface AdoptResult {
  /** Handlers created from the report. */
  adopted: string[];
  /** Adopted handlers this agent was added to. */
  widened: string[];
  /** Reported handlers left alone: conflicting, invalid or beyond the cap. */
  leftAlone: string[];
}

interface Decision {
  name: string;
  spec?: HandlerSpec;
  widened?: boolean;
  error?: string;
}

/** Adopts the handlers in `reported` (Hello.cached_specs) that the master has no record of. */
export async function adoptReported(
  registry: Registry,
  executions: ExecutionLog,
  agentId: string,
  reported: readonly WireSpec[],
  log: Logger,
): Promise<AdoptResult> {
  const result: AdoptResult = { adopted: [], widened: [], leftAlone: [] };
  const decisions: Decision[] = [];
  const seen = new Set<string>();
  const room = MAX_ADOPTED_PER_AGENT - registry.adoptedFor(agentId);
  let bytesRoom = MAX_ADOPTED_BYTES_PER_AGENT - adoptedBytes(registry, agentId);
  for (const [i, raw] of reported.entries()) {
    const name = raw.name;
    if (!name || seen.has(name)) continue; // a spec without a name names nothing to adopt
    seen.add(name);
    const current = registry.getSpec(name);
    if (current && registry.agentsFor(current.spec).includes(agentId)) continue; // known and assigned
    if (current ? !current.adopted : registry.wasDeleted(name)) {
      continue; // an admin decided it is not (or no longer) on this agent: Registry.removalsFor names it
    }
    if (decisions.length >= room) {
      result.leftAlone.push(name);
      continue;
    }
    const d = decide(registry, agentId, raw, i, name);
    const bytes = d.spec ? specBytes(d.spec) : 0;
    if (bytes > bytesRoom)
      d.error = `not adopted: agent ${agentId}'s adopted handlers would exceed ${MAX_ADOPTED_BYTES_PER_AGENT} bytes (this spec: ${bytes}); left running — apply ${name} explicitly`;
    if (d.error) delete d.spec;
    else bytesRoom -= bytes;
    decisions.push(d);
  }
  if (result.leftAlone.length > 0)
    log.warn(
      `hello: more than ${MAX_ADOPTED_PER_AGENT} adopted handlers for one agent; the rest are left alone`,
      {
        agent: agentId,
        left_alone: result.leftAlone.length,
      },
    );
  const toStore = decisions.flatMap((d) => (d.spec ? [d.spec] : []));
  const versions = toStore.length > 0 ? await registry.storeAdopted(toStore) : [];
  const versionOf = new Map(versions.map((v) => [v.spec.name, v.version]));
  const records: Array<Promise<unknown>> = [];
  for (const d of decisions) {
    const exec = executions.begin({
      kind: 'adopt',
      handler: d.name,
      agent: agentId,
      issued_by: `agent:${agentId}`,
      params_summary: d.spec ? `adopt ${d.name} on ${d.spec.agents.join(', ')}` : `adopt ${d.name}`,
    });
    if (d.spec) {
      const what = d.widened
        ? `agent ${agentId} added to adopted handler`
        : 'adopted from the agent’s report';
      records.push(
        executions.complete(exec.id, {
          status: 'success',
          result: `${what}: version ${versionOf.get(d.name)}`,
        }),
      );
      (d.widened ? result.widened : result.adopted).push(d.name);
      log.info('handler adopted from agent report', {
        agent: agentId,
        handler: d.name,
        widened: !!d.widened,
      });
    } else {
      records.push(executions.complete(exec.id, { status: 'error', error: d.error ?? 'not adopted' }));
      result.leftAlone.push(d.name);
      log.warn('reported handler not adopted; left running', {
        agent: agentId,
        handler: d.name,
        err: d.error,
      });
    }
  }
  await Promise.all(records); // one coalesced write for the hello's records, not one fsync each
  return result;
}

function decide(registry: Registry, agentId: string, raw: WireSpec, i: number, name: string): Decision {
  let spec: HandlerSpec;
  try {
    spec = reportedSpec(raw, i, agentId);
  } catch (err) {
    return { name, error: `not adopted: ${errorMessage(err)}; left running` };
  }
  const current = registry.getSpec(name);
  if (!current) return { name, spec: { ...spec, agents: [agentId], selector: {} } };
  if (current.adopted && untargeted(current.spec) === untargeted(spec))
    return { name, widened: true, spec: { ...current.spec, agents: [...current.spec.agents, agentId] } };
  return {
    name,
    error:
      `conflict: agent ${agentId} runs ${name} with a spec that differs from the one adopted from another ` +
      `agent (version ${current.version}); left running on ${agentId}, never stopped for this: apply a ` +
      `spec for ${name} naming the agents that are to run it, or delete ${name}`,
  };
}

/** Bytes of the current adopted specs that target `agentId` (what MAX_ADOPTED_BYTES_PER_AGENT bounds). */
function adoptedBytes(registry: Registry, agentId: string): number {
  let n = 0;
  for (const v of registry.listSpecs())
    if (v.adopted && registry.agentsFor(v.spec).includes(agentId)) n += specBytes(v.spec);
  return n;
}

/** The spec's hash with its targets left out: the same process, wherever it runs. */
function untargeted(spec: HandlerSpec): string {
  return specHash({ ...spec, agents: [], selector: {} });
}
