/**
 * Which watch events one registry instance change makes: `instance` when it was first seen, removed, or
 * changed in anything but its health and the figures that move on every report (idle_ms, cools_in_ms, the
 * lifecycle event list, the busy reason's text — busy ↔ idle is a change); `health` when its health or
 * health reason changed. A report changing both gives two events, `instance` first. Pure: time passed in.
 */
import type { InstanceStatus } from '../../proto/generated/governor/v1/InstanceStatus.js';
import type { WatchEvent } from '../../proto/generated/governor/v1/WatchEvent.js';
import type { InstanceChange } from '../state/registry.js';

/** Fields an `instance` event ignores: health has its own kind, the rest move on every report. */
const NOT_STATE = new Set(['health', 'health_reason', 'idle_ms', 'cools_in_ms', 'events', 'busy_reason']);

export function instanceEvents(change: InstanceChange, at: string): WatchEvent[] {
  const { before, after, agent, key } = change;
  const now = after?.status ?? null;
  const handler = now?.handler ?? before?.handler ?? '';
  const body = {
    instance: after ? { ...after } : null, // an InstanceView is an InstanceInfo
    key,
    previous_state: before?.state ?? '',
    previous_health: before?.health ?? '',
    previous_pid: before?.pid ?? 0,
    previous_temperature: before?.temperature ?? '',
    removed: after === null,
  };
  const event = (kind: 'instance' | 'health'): WatchEvent => ({ kind, at, handler, agent, instance: body });
  if (before === null || now === null) return [event('instance')];
  const out: WatchEvent[] = [];
  if (stateChanged(before, now)) out.push(event('instance'));
  if (
    (before.health ?? '') !== (now.health ?? '') ||
    (before.health_reason ?? '') !== (now.health_reason ?? '')
  )
    out.push(event('health'));
  return out;
}

function stateChanged(a: InstanceStatus, b: InstanceStatus): boolean {
  if (Boolean(a.busy_reason) !== Boolean(b.busy_reason)) return true;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (NOT_STATE.has(k)) continue;
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (!sameValue(x, y)) return true;
  }
  return false;
}

/** Deep equality of proto values, an absent field equal to its default (0, '', false, null, []). */
function sameValue(x: unknown, y: unknown): boolean {
  if (isDefault(x) && isDefault(y)) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null)
    return String(x) === String(y);
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys)
    if (!sameValue((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k])) return false;
  return true;
}

function isDefault(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === '' ||
    v === 0 ||
    v === '0' ||
    v === false ||
    (Array.isArray(v) && v.length === 0)
  );
}
