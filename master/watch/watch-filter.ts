/**
 * A watcher's request compiled once: which kinds, handlers and agents it wants, and from where it starts.
 * Bad input is refused here (one place) naming the field and the reason.
 */
import type { WatchRequest__Output } from '../../proto/generated/governor/v1/WatchRequest.js';
import { ValidationError } from '../../shared/errors.js';
import { agentRefRefusal, isAgentRef, isName, nameRefusal } from '../../shared/names.js';
import { WATCH_KINDS } from '../../shared/watch-kinds.js';

/** Kinds sent to every watcher whatever it asked for. */
export const ALWAYS_SENT = ['snapshot', 'notice'] as const;

export interface WatchFilter {
  kinds: ReadonlySet<string>;
  /** Empty: every handler. */
  handlers: ReadonlySet<string>;
  /** Empty: every agent. */
  agents: ReadonlySet<string>;
  resume: boolean;
  since: number;
  /** The epoch `since` comes from ('' : this master's). */
  epoch: string;
  snapshot: boolean;
  follow: boolean;
  /** At most one metrics sample per agent per this many ms (0: every sample); null: no metrics. */
  metricsIntervalMs: number | null;
}

/** The parts of an event a filter looks at: `handlers` are every handler it concerns (none: not about one). */
export interface Concern {
  kind: string;
  handlers: readonly string[];
  agent: string;
}

export function compileWatchFilter(req: WatchRequest__Output): WatchFilter {
  for (const k of req.kinds)
    if (!(WATCH_KINDS as readonly string[]).includes(k))
      throw new ValidationError(
        `kinds: unknown kind ${JSON.stringify(k)} (kinds: ${WATCH_KINDS.join(', ')}; ` +
          `${ALWAYS_SENT.join(' and ')} are always sent)`,
        { fields: ['kinds'] },
      );
  for (const h of req.handlers)
    if (!isName(h))
      throw new ValidationError(`handlers: ${nameRefusal(h, 'handler name')}`, { fields: ['handlers'] });
  for (const a of req.agents)
    if (!isAgentRef(a))
      throw new ValidationError(`agents: ${agentRefRefusal(a)}`, {
        fields: ['agents'],
      });
  if (!Number.isSafeInteger(req.since) || req.since < 0)
    throw new ValidationError(`since: ${req.since} must be a whole number from 0 (an event index)`, {
      fields: ['since'],
    });
  if (req.epoch.length > 64)
    throw new ValidationError(`epoch: ${req.epoch.length} characters, more than an epoch has (64)`, {
      fields: ['epoch'],
    });
  const interval = req.metrics_interval_ms;
  if (!Number.isFinite(interval) || interval < 0)
    throw new ValidationError(`metrics_interval_ms: ${interval} must be 0 or more`, {
      fields: ['metrics_interval_ms'],
    });
  const named = new Set(req.kinds);
  const kinds = named.size > 0 ? named : new Set<string>(WATCH_KINDS.filter((k) => k !== 'metrics'));
  // Metrics are opt-in: an interval asks for them (unless kinds leaves them out), or kinds names them.
  const wantMetrics = named.has('metrics') || (interval > 0 && (named.size === 0 || named.has('metrics')));
  if (wantMetrics) kinds.add('metrics');
  return {
    kinds,
    handlers: new Set(req.handlers),
    agents: new Set(req.agents),
    resume: req.resume,
    since: req.since,
    epoch: req.epoch,
    snapshot: req.snapshot,
    follow: req.follow,
    metricsIntervalMs: wantMetrics ? interval : null,
  };
}

/**
 * Whether an event passes the filter. Agent events pass the handler filter; an event about several
 * handlers (a rollout) passes when any of them is asked for; one about no handler passes only without
 * a handler filter.
 */
export function passes(f: WatchFilter, c: Concern): boolean {
  if (c.kind === 'snapshot' || c.kind === 'notice') return true;
  if (!f.kinds.has(c.kind)) return false;
  if (f.agents.size > 0 && c.agent !== '' && !f.agents.has(c.agent)) return false;
  if (f.agents.size > 0 && c.agent === '' && c.kind !== 'rollout') return false;
  // Agent events and metrics samples pass the handler filter (a sample's instances are narrowed by it).
  if (c.kind === 'agent' || c.kind === 'metrics' || f.handlers.size === 0) return true;
  return c.handlers.some((h) => f.handlers.has(h));
}
