/**
 * Labels: key=value pairs on handlers (a spec's `labels:`, picked by `--selector`) and the labels an admin sets
 * on agents (`gov agents label`, picked by a spec's `selector:`). One rule for all of them, chosen so that
 * every label can be selected: `--selector k=v[,k=v]` must be able to spell it (no comma in a value, no space
 * at either end: the selector trims them). An agent's own `--labels` are only reported, never selected: they
 * keep their older, looser rule, so an agent configured before this one still starts.
 */

/** Label keys: a letter or digit, then letters, digits and `._/-`, at most 63 characters. */
export const LABEL_KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
/** Longest label value. */
export const LABEL_VALUE_MAX = 128;

/** Why `key` cannot be a label key; null when it can. */
export function labelKeyProblem(key: string): string | null {
  return LABEL_KEY_RE.test(key)
    ? null
    : `label key ${JSON.stringify(key)} must start with a letter or digit and hold only letters, digits and ._/- (at most 63)`;
}

/** Why `value` cannot be a label value; null when it can. */
export function labelValueProblem(value: string): string | null {
  const v = JSON.stringify(value);
  if (value.length > LABEL_VALUE_MAX) return `label value ${v} is longer than ${LABEL_VALUE_MAX} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return `label value ${v} must be printable text`;
  if (value.includes(','))
    return `label value ${v} must not hold a comma (a selector separates pairs with it)`;
  if (value.trim() !== value)
    return `label value ${v} must not start or end with a space (a selector trims them)`;
  return null;
}

/** Why `key: value` cannot be a label; null when it can. */
export function labelProblem(key: string, value: string): string | null {
  return labelKeyProblem(key) ?? labelValueProblem(value);
}
