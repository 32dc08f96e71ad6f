/**
 * `gov events [TARGET...] [-f] [--json] [--since INDEX] [--kind K]... [--agent ID]... [--metrics[=INTERVAL]]`:
 * the master's `Admin.Watch` as lines. Without `-f` it prints the events the master keeps (above
 * `--since`, default 0: every kept one) and exits 0; with `-f` it goes on with the live ones, across
 * drops and lost connections (watch-follow.ts), until interrupted (exit 0). Lines are
 * `INDEX  TIME  KIND  TARGET  SUMMARY` (event-line.ts), notices on stderr; `--json` prints each event as
 * one JSON object per line (NDJSON: the WatchEvent as received, notices included), nothing else on stdout.
 * TARGETs are handler names or instances (`web`, `web@edge-1`, `web#1@edge-1`): the master filters by
 * handler and agent, an instance or a handler on one agent is narrowed here.
 */
import { Option } from 'commander';
import { EXIT_OK, UsageError, type CliIO } from '../../shared/cli-io.js';
import { repeatableOption } from '../../shared/cli-program.js';
import { parseDuration } from '../../shared/durations.js';
import { GovError } from '../../shared/errors.js';
import { instanceKey } from '../../shared/spec.js';
import { parseTargetName, type TargetName } from '../../shared/targets.js';
import type { WatchEvent, WatchRequest } from './admin-client.js';
import { adminCommand } from './admin-command.js';
import { agentsOption, checkAgentId } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import { eventLine } from './event-line.js';
import { WATCH_KINDS } from '../../shared/watch-kinds.js';
import { followWatch } from './watch-follow.js';

export interface EventsRequest {
  req: WatchRequest;
  names: TargetName[];
  /** `--agent` values: a name without `@AGENT` matches on these agents only (any when none). */
  agentFlags: string[];
}

/** `--kind` values, each one a kind the master knows (checked here, before anything connects). */
export function checkKinds(kinds: readonly string[]): string[] {
  for (const k of kinds)
    if (!(WATCH_KINDS as readonly string[]).includes(k))
      throw new UsageError(
        `--kind ${JSON.stringify(k)} is not a kind of event (kinds: ${WATCH_KINDS.join(', ')})`,
      );
  return [...new Set(kinds)];
}

/** `--since INDEX`: a whole number, 0 or more. */
function checkSince(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d{1,15}$/.test(text))
    throw new UsageError(
      `--since ${JSON.stringify(text)} must be an event index (a whole number, 0 or more)`,
    );
  return Number(text);
}

/** `--metrics` alone: every sample; `--metrics=2s`: at most one per agent per 2 s. */
function checkMetrics(value: string | boolean | undefined): number | null {
  if (value === undefined || value === false) return null;
  if (value === true) return 0;
  try {
    const ms = parseDuration(value);
    if (ms <= 0) throw new Error('it must be more than 0');
    return ms;
  } catch (err) {
    throw new UsageError(`--metrics ${JSON.stringify(value)}: ${(err as Error).message}`);
  }
}

/** TARGET words → names, and the handler and agent filters the master applies. */
function readNames(
  words: readonly string[],
  agentFlags: string[],
): { names: TargetName[]; handlers: string[]; agents: string[] } {
  const names = words.map((w) => {
    try {
      return parseTargetName(w);
    } catch (err) {
      if (err instanceof GovError) throw new UsageError(err.message);
      throw err;
    }
  });
  for (const a of agentFlags) checkAgentId(a);
  // The master's filter is the union of every agent named; a name without @AGENT and no --agent: all.
  const everyAgent = agentFlags.length === 0 && (names.length === 0 || names.some((n) => n.agent === null));
  const agents = [...agentFlags, ...names.flatMap((n) => (n.agent ? [n.agent] : []))];
  return {
    names,
    handlers: [...new Set(names.map((n) => n.handler))],
    agents: everyAgent ? [] : [...new Set(agents)],
  };
}

/** The instance key an event is about (`web#1`), '' when none (a handler's, an agent-wide rule's). */
const eventKey = (e: WatchEvent): string => e.instance?.key || e.policy?.instance || '';

/** Whether an event passes the TARGETs as written (the master's filter is coarser: handlers × agents). */
export function matchesNames(
  e: WatchEvent,
  names: readonly TargetName[],
  agentFlags: readonly string[],
): boolean {
  if (names.length === 0 || !e.handler) return true;
  if (e.kind === 'snapshot' || e.kind === 'notice' || e.kind === 'metrics') return true;
  return names.some(
    (n) =>
      n.handler === e.handler &&
      (n.agent !== null ? n.agent === e.agent : agentFlags.length === 0 || agentFlags.includes(e.agent)) &&
      (n.index === null || !eventKey(e) || eventKey(e) === instanceKey(n.handler, n.index)),
  );
}

/** The watch request of a command line (exported for tests). */
export function eventsRequest(words: readonly string[], o: Record<string, unknown>): EventsRequest {
  const agentFlags = typeof o.agent === 'string' ? [o.agent] : ((o.agent as string[] | undefined) ?? []);
  const { names, handlers, agents } = readNames(words, agentFlags);
  let kinds = checkKinds((o.kind as string[] | undefined) ?? []);
  const metrics = checkMetrics(o.metrics as string | boolean | undefined);
  if (metrics !== null) kinds = kinds.length > 0 ? [...new Set([...kinds, 'metrics'])] : [...WATCH_KINDS];
  return {
    req: {
      resume: true,
      since: checkSince(o.since as string | undefined),
      snapshot: false,
      follow: o.follow === true,
      handlers,
      agents,
      kinds,
      metrics_interval_ms: metrics ?? 0,
    },
    names,
    agentFlags,
  };
}

/** Prints one event: a JSON line, or a text line (notices on stderr). Says why a snapshot comes. */
function printer(io: CliIO, json: boolean, names: TargetName[], agentFlags: string[]) {
  return (e: WatchEvent): void => {
    if (!matchesNames(e, names, agentFlags)) return;
    if (json) io.out(`${JSON.stringify(e)}\n`);
    else if (e.kind === 'notice') io.err(`notice: ${eventLine(e)}\n`);
    else io.out(`${eventLine(e)}\n`);
    const reason = e.notice?.reason;
    if (reason === 'behind' || reason === 'unknown_index')
      io.err(
        `gov events: ${reason === 'behind' ? 'events were missed (the master no longer keeps them)' : 'the master restarted (its indexes start again from 1)'}; ` +
          'a snapshot of the current state follows, then the events after it\n',
      );
    else if (reason === 'dropped')
      io.err('gov events: the master dropped this watch (it read too slowly); watching again\n');
  };
}

export function eventsCommand(connect: AdminConnector = connectAdmin) {
  return adminCommand(connect, {
    name: 'events',
    summary:
      "the master's event stream: instance, health, execution, rollout, agent and policy changes; -f follows",
    args: [['[TARGET...]', 'handler names or instances (web, web@edge-1, web#1@edge-1); none: every one']],
    options: [
      new Option('-f, --follow', 'keep printing new events until interrupted (Ctrl-C), across reconnects'),
      new Option('--since <INDEX>', 'only events after this index (default 0: every event the master keeps)'),
      repeatableOption('--kind <KIND>', `only these kinds: ${WATCH_KINDS.join(', ')} (repeatable)`),
      agentsOption('only events of agent ID'),
      new Option(
        '--metrics [INTERVAL]',
        'also metrics samples: every one, or at most one per agent per INTERVAL (--metrics=5s)',
      ),
    ],
    jsonHelp: 'print each event as one JSON object per line (NDJSON), nothing else on stdout',
    check: (words, o) => eventsRequest(words, o),
    call: async (api, { req, names, agentFlags }, out) => {
      const print = printer(out.io, out.json, names, agentFlags);
      if (!req.follow) {
        await api.watch(req, print).done;
        return EXIT_OK;
      }
      const following = followWatch(api, req, print, {
        onReconnect: (err, attempt) => {
          if (err)
            out.io.err(
              `gov events: ${err.message}; watching again from index ${following.lastIndex} (attempt ${attempt})\n`,
            );
        },
      });
      void out.io.interrupted?.then(() => following.stop());
      await following.done;
      return EXIT_OK;
    },
  });
}
