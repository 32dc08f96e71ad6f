/**
 * `npm run bench -- yaml`: the time to parse (or refuse) the worst YAML documents the limits of
 * shared/yaml-input.ts allow, i.e. how long one apply can hold the master's event loop.
 */
import {
  MAX_MAP_KEYS,
  MAX_YAML_BYTES,
  MAX_YAML_NESTING,
  MAX_YAML_NODES,
  parseYamlInput,
} from '../../shared/yaml-input.js';

/** Appends `piece(i)` while the text stays within the byte limit. */
function fill(head: string, piece: (i: number) => string, max = MAX_YAML_BYTES): string {
  const parts = [head];
  let size = Buffer.byteLength(head);
  for (let i = 0; ; i++) {
    const p = piece(i);
    size += Buffer.byteLength(p);
    if (size > max) break;
    parts.push(p);
  }
  return parts.join('');
}

export const WORST_CASES: Record<string, () => string> = {
  // Maps of MAX_MAP_KEYS keys each, up to the node limit: the most keys (and duplicate checks) allowed.
  'maps of 1000 keys, up to the node limit': () => {
    const keys = Math.floor((MAX_YAML_NODES - 200) / 2);
    let out = '';
    for (let k = 0; k < keys; k++) {
      if (k % MAX_MAP_KEYS === 0) out += `m${k}:\n`;
      out += `  k${k}: v\n`;
    }
    return out;
  },
  // Flow lists nested just under the nesting limit, repeated to the size limit (the parser's slow shape).
  'flow nesting 90 deep, repeated to 1 MiB': () => {
    const d = MAX_YAML_NESTING - 10;
    return fill('', (i) => `k${i}: ${'['.repeat(d)}${']'.repeat(d)}\n`);
  },
  // Long quoted strings: few nodes, all bytes.
  '1 MiB of quoted strings': () =>
    fill('', (i) => `${i % 500 === 0 ? `m${i}:\n` : ''}  k${i}: "${'x'.repeat(1000)}"\n`),
  // The refusals must be fast too: one map of 100,000 keys (under 1 MiB) and a billion laughs.
  'refused: 100,000 keys in one map': () => fill('', (i) => `${i}: 1\n`),
  'refused: alias bomb': () =>
    ['a: &a [x,x,x,x,x,x,x,x,x]']
      .concat('bcdefghi'.split('').map((c, i) => `${c}: &${c} [${`*${'abcdefghi'[i]},`.repeat(9)}]`))
      .join('\n'),
};

export async function runYamlBench(): Promise<void> {
  // The figures scale with the machine: a plain loop calibrates them (about 100 ms on an idle core).
  let x = 0;
  const c0 = performance.now();
  for (let i = 0; i < 1e8; i++) x += i;
  console.log(
    `calibration: 1e8-iteration loop ${(performance.now() - c0).toFixed(0)} ms (${x > 0 ? 'ok' : ''})`,
  );
  for (const [name, make] of Object.entries(WORST_CASES)) {
    const text = make();
    let worst = 0;
    let outcome = 'parsed';
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      try {
        parseYamlInput(text, 'bench.yaml');
      } catch (err) {
        outcome = `refused: ${(err as Error).message.slice(0, 90)}`;
      }
      worst = Math.max(worst, performance.now() - t0);
    }
    const kib = (Buffer.byteLength(text) / 1024).toFixed(0);
    console.log(`${name}: ${kib} KiB, worst of 3 ${worst.toFixed(0)} ms (${outcome})`);
  }
  await Promise.resolve();
}
