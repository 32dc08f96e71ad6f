/**
 * The master's conversions to and from the agent link's messages (the agent's side is
 * agent/link/wire.ts; handler specs go through shared/spec-wire.ts on both sides): a command from what a
 * caller asks, and the specs an agent reports in its hello, validated with the apply validator.
 */
import type { AgentCommand } from '../../proto/generated/governor/v1/AgentCommand.js';
import type { CommandKind } from '../../proto/generated/governor/v1/CommandKind.js';
import type { HandlerSpec } from '../../shared/spec.js';
import { specFromWire, specToWire, type WireSpecOut } from '../../shared/spec-wire.js';

/** What a command asks of the agent (AgentCommand, in the master's words). */
export interface CommandFields {
  kind: CommandKind & string;
  handler: string;
  /** APPLY: the full set of specs assigned to the agent; UPDATE: the one spec to put the instance on. */
  specs?: readonly HandlerSpec[];
  /** APPLY: handlers whose existing instances keep their spec (under a rolling update). */
  hold?: string[];
  /** APPLY: the master's sync after a hello (recorded as such). */
  sync?: boolean;
  /** APPLY with sync: the agent already runs exactly the assigned specs; they are not sent again. */
  keepSpecs?: boolean;
  /** APPLY: the handlers the agent is to stop and forget (deleted, or no longer its own). */
  remove?: string[];
  /** APPLY: instance keys a rolling update starts in its batch (not created by the APPLY). */
  defer?: string[];
  pid?: number;
  /** ATTACH/DETACH: observed process name. */
  name?: string;
  /** One instance key instead of all instances of the handler. */
  instance?: string;
  tailLines?: number;
  stream?: string;
  /** SIGNAL: the canonical signal name (`SIGHUP`). */
  signal?: string;
  /** SIGNAL: the main process only, not the whole process group. */
  main?: boolean;
  /** ENSURE: also take (or renew) a lease this long (ms). */
  holdMs?: number;
  /** LOGS: a read that is no use of the instance (a viewer's). */
  observeOnly?: boolean;
}

/** The AgentCommand for `req` under id `id` (the session adds the deadline). */
export function commandFor(id: string, req: CommandFields): AgentCommand & { id: string } {
  return {
    id,
    kind: req.kind,
    handler: req.handler,
    specs: (req.specs ?? []).map(specToWire),
    keep_specs: req.keepSpecs ?? false,
    pid: req.pid ?? 0,
    name: req.name ?? '',
    instance: req.instance ?? '',
    tail_lines: req.tailLines ?? 0,
    stream: req.stream ?? '',
    hold: req.hold ?? [],
    sync: req.sync ?? false,
    remove: req.remove ?? [],
    defer: req.defer ?? [],
    signal: req.signal ?? '',
    main: req.main ?? false,
    hold_ms: req.holdMs ?? 0,
    observe_only: req.observeOnly ?? false,
  };
}

/** The `i`th spec of agent `agentId`'s hello, validated like an apply (ValidationError naming the field). */
export function reportedSpec(w: WireSpecOut, i: number, agentId: string): HandlerSpec {
  return specFromWire(w, `cached_specs[${i}]`, `hello from agent ${agentId}`);
}
