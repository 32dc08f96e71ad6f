/**
 * Per-instance values in a spec's `env` (one rule for the validator and the agent's launch): a value may
 * hold `${index}` (the instance's replica index, 0 … count-1, as GOV_INSTANCE_INDEX) and `${index+N}` (N a
 * non-negative decimal integer of at most 9 digits), so `count: 50` with `PORT: "${index+20001}"` gives
 * every instance its own port (20001 … 20050).
 *
 * The exact rule, left to right: `$$` is kept as written (both characters; so `$${index}` is no
 * placeholder); `${index` (any case, spaces allowed after `${`) starts a placeholder that must be one of the
 * two forms above, exactly, closed by `}` — a near miss (`${index-1}`, `${INDEX}`, `${ index }`) is refused,
 * naming the key; anything else is kept as written, `${HOME}` included (Governor expands nothing else, as
 * before placeholders existed, so a spec stored by an earlier version means what it meant).
 */
import { ValidationError } from './errors.js';

export type EnvPart = string | { offset: number };

const PLACEHOLDER = /^\$\{index(?:\+(\d{1,9}))?\}/;
/** What is meant as a placeholder (and must then be one exactly). */
const MEANT = /^\$\{\s*index/i;

/** The parts of `value` (text and placeholders), or the reason it is refused. */
export function parseEnvTemplate(value: string): { parts: EnvPart[] } | { error: string } {
  const parts: EnvPart[] = [];
  let text = '';
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c === '$' && value[i + 1] === '$') {
      text += '$$';
      i += 2;
    } else if (c === '$' && MEANT.test(value.slice(i, i + 64))) {
      const m = PLACEHOLDER.exec(value.slice(i));
      if (!m) {
        const end = value.indexOf('}', i);
        const what = end < 0 ? `${value.slice(i)} (unclosed)` : value.slice(i, end + 1);
        return {
          error:
            `${what} is not a placeholder: write \${index} or \${index+N} ` +
            '(N a non-negative integer, no spaces)',
        };
      }
      if (text) parts.push(text);
      text = '';
      parts.push({ offset: m[1] === undefined ? 0 : Number(m[1]) });
      i += m[0].length;
    } else {
      text += c;
      i++;
    }
  }
  if (text) parts.push(text);
  return { parts };
}

/**
 * `env` of instance `index`, every placeholder substituted. A value the validator would refuse (a spec
 * stored by an older version) throws, naming the key.
 */
export function expandEnv(env: Readonly<Record<string, string>>, index: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const r = parseEnvTemplate(v);
    if ('error' in r) throw new ValidationError(`env.${k}: ${r.error}`);
    out[k] = r.parts.map((p) => (typeof p === 'string' ? p : String(index + p.offset))).join('');
  }
  return out;
}
