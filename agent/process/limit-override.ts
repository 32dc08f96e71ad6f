/**
 * A limit changed on a RUNNING instance (a resource policy's `limit_cpu` / `limit_memory`, agent/control):
 * the instance's limit groups are written by the advisory-limits code (cgroups.ts `prepare`) with the spec's
 * limits and the override on top, and every process of its tree is moved in by PID (never a signal). Taking
 * the override away (`null`) writes the spec's own limits back (unlimited where the spec sets none); the
 * processes stay in their groups. A spawn later (a restart) gets the spec's limits: the override is the
 * caller's to apply again.
 */
import type { LimitsSpec } from '../../shared/spec.js';
import { hasLimits, type Cgroups, type LimitController } from './cgroups.js';

/** What an override did: `applied` (in words), or `refused` with why (nothing changed). */
export type OverrideOutcome = { ok: true; applied: string } | { ok: false; reason: string };

function words(l: LimitsSpec): string {
  const parts = [
    l.cpu_percent !== undefined ? `cpu ${l.cpu_percent}%` : '',
    l.memory_bytes !== undefined ? `memory ${l.memory_bytes} bytes` : '',
    l.pids !== undefined ? `pids ${l.pids}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'unlimited';
}

/**
 * Writes `spec` + `override` (null: `spec` alone) to the groups of instance `key`, and moves `pids` in.
 */
export function overrideLimits(
  cgroups: Cgroups,
  key: string,
  spec: LimitsSpec | undefined,
  override: Partial<Pick<LimitsSpec, 'cpu_percent' | 'memory_bytes'>> | null,
  pids: readonly number[],
): OverrideOutcome {
  const layout = cgroups.detected;
  if (!layout) return { ok: false, reason: 'no cgroup v1/v2 cpu, memory or pids controller on this host' };
  const wanted: LimitController[] = [];
  if (override?.cpu_percent !== undefined) wanted.push('cpu');
  if (override?.memory_bytes !== undefined) wanted.push('memory');
  const missing = wanted.find((c) => layout[c] === null);
  if (missing) return { ok: false, reason: `no ${missing} controller (cgroup v${layout.version})` };
  const limits: LimitsSpec = { ...(spec ?? {}), ...(override ?? {}) };
  const group = cgroups.prepare(key, limits);
  if (!group) return { ok: false, reason: 'the cgroup limit files could not be written (see the agent log)' };
  if (hasLimits(limits)) {
    for (const pid of pids)
      if (!cgroups.join(group, pid))
        return { ok: false, reason: `could not move pid ${pid} into its cgroup` };
  }
  return { ok: true, applied: words(limits) };
}
