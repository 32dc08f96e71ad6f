/**
 * The rollout `update` block (DESIGN §5, §7): its fields, defaults and the one validator for them, used
 * wherever they are written — a spec's `update:` (YAML), StartRollout's overrides (master) and
 * `gov rollout restart` flags (CLI). Each caller names a refused key its own way (key path, request
 * field, flag); the reasons are the same everywhere.
 */
import { durationMs } from './durations.js';
import { ValidationError } from './errors.js';

/** What a failed batch leads to. */
export const ON_FAILURE = ['pause', 'abort', 'rollback'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

export interface UpdateSpec {
  /** `2` or `34%` as written (normalised: `02` → `2`). */
  batch_size: string;
  min_healthy_time_ms: number;
  healthy_deadline_ms: number;
  progress_deadline_ms: number;
  on_failure: OnFailure;
  wait_between_ms: number;
}

export const DEFAULT_UPDATE: UpdateSpec = {
  batch_size: '1',
  min_healthy_time_ms: 5_000,
  healthy_deadline_ms: 60_000,
  progress_deadline_ms: 600_000,
  on_failure: 'pause',
  wait_between_ms: 0,
};

/** The keys of an `update:` block, as written (durations without `_ms`). */
export const UPDATE_KEYS = [
  'batch_size',
  'min_healthy_time',
  'healthy_deadline',
  'progress_deadline',
  'on_failure',
  'wait_between',
] as const;
export type UpdateKey = (typeof UPDATE_KEYS)[number];

/** Update fields as written; an absent (undefined) field is not given. */
export type UpdateInput = Partial<Record<UpdateKey, unknown>>;

/** Refuses `key` for `reason`; the caller names the key (`handlers[0].update.batch_size`, `--batch-size`). */
export type RefuseUpdate = (key: UpdateKey, reason: string) => never;

/** Refuses as the master does: a ValidationError naming the field (`batch_size: "0" must be …`). */
export const refuseField: RefuseUpdate = (key, reason) => {
  throw new ValidationError(`${key}: ${reason}`);
};

/** A batch size: `count` instances, or `count` percent of them. */
export interface BatchSize {
  count: number;
  percent: boolean;
}

/** `N` (≥ 1) or `N%` (1% to 100%); throws a RangeError saying so for anything else. */
export function parseBatchSize(text: string): BatchSize {
  const m = /^(\d+)(%?)$/.exec(text.trim());
  const count = m ? Number(m[1]) : NaN;
  const percent = m?.[2] === '%';
  if (!m || !Number.isSafeInteger(count) || count < 1 || (percent && count > 100))
    throw new RangeError(`${JSON.stringify(text)} must be a count ≥ 1 or a percentage from 1% to 100%`);
  return { count, percent };
}

function fail(refuse: RefuseUpdate, key: UpdateKey, check: () => void): void {
  try {
    check();
  } catch (err) {
    refuse(key, (err as Error).message);
  }
}

/**
 * Compiles the fields that are given (durations from `10s` text or seconds, batch size normalised);
 * refuses the first bad one. A deadline of 0 is refused: nothing could ever meet it.
 */
export function compileUpdateFields(input: UpdateInput, refuse: RefuseUpdate): Partial<UpdateSpec> {
  const out: Partial<UpdateSpec> = {};
  const { batch_size: batch, on_failure: onFailure } = input;
  if (batch !== undefined) {
    fail(refuse, 'batch_size', () => {
      if (typeof batch !== 'string' && typeof batch !== 'number')
        throw new ValidationError(`${JSON.stringify(batch)} must be a count (4) or a percentage (25%)`);
      const b = parseBatchSize(String(batch));
      out.batch_size = `${b.count}${b.percent ? '%' : ''}`;
    });
  }
  const durations = [
    ['min_healthy_time', 'min_healthy_time_ms'],
    ['healthy_deadline', 'healthy_deadline_ms'],
    ['progress_deadline', 'progress_deadline_ms'],
    ['wait_between', 'wait_between_ms'],
  ] as const;
  for (const [key, field] of durations) {
    const v = input[key];
    if (v !== undefined) fail(refuse, key, () => (out[field] = durationMs(v)));
  }
  if (onFailure !== undefined) {
    if (typeof onFailure !== 'string' || !(ON_FAILURE as readonly string[]).includes(onFailure))
      refuse('on_failure', `${JSON.stringify(onFailure)} must be one of ${ON_FAILURE.join(' | ')}`);
    out.on_failure = onFailure as OnFailure;
  }
  if (out.healthy_deadline_ms === 0) refuse('healthy_deadline', 'must be more than 0');
  if (out.progress_deadline_ms === 0) refuse('progress_deadline', 'must be more than 0');
  return out;
}

/** A whole update block: an instance must have time to stay healthy for min_healthy_time within its deadline. */
export function checkUpdate(u: UpdateSpec, refuse: RefuseUpdate): UpdateSpec {
  outlastsMinHealthy(u, 'healthy_deadline', u.healthy_deadline_ms, refuse);
  return u;
}

/**
 * A block or a rollout asked for now (not a stored one: it still loads and still reaches its agents): its
 * progress_deadline must also be longer than min_healthy_time. Shorter, no instance could ever be done: the
 * rollout restarted its first batch, then paused on it.
 */
export function checkProgressDeadline(u: UpdateSpec, refuse: RefuseUpdate): UpdateSpec {
  outlastsMinHealthy(u, 'progress_deadline', u.progress_deadline_ms, refuse);
  return u;
}

/** The one rule of both: deadline `key` (`ms`) must be longer than the block's min_healthy_time. */
function outlastsMinHealthy(u: UpdateSpec, key: UpdateKey, ms: number, refuse: RefuseUpdate): void {
  if (ms <= u.min_healthy_time_ms)
    refuse(key, `${ms} ms must be longer than min_healthy_time (${u.min_healthy_time_ms} ms)`);
}

/** Override fields as StartRolloutRequest carries them ('' = not given, as proto3 strings default). */
export function requestedOverrides(req: Readonly<Partial<Record<UpdateKey, string>>>): UpdateInput {
  const out: UpdateInput = {};
  for (const key of UPDATE_KEYS) if (req[key]) out[key] = req[key];
  return out;
}
