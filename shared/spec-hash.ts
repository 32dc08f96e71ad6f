/**
 * Hashes of handler specs, the same on the master and the agent: a spec's digest (key order never
 * matters), the short hash an agent's instance records of the spec it runs, and the hash of a whole
 * placement (instance key → spec) that lets the master skip resending specs an agent already runs
 * (Hello.specs_hash).
 */
import { createHash } from 'node:crypto';
import { instanceKey, type HandlerSpec } from './spec.js';

/** JSON with object keys sorted at every level and `undefined` members dropped: equal specs, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** sha256 (hex) of the spec's canonical JSON; independent of key order. */
export function specDigest(spec: HandlerSpec): string {
  return sha256(canonicalJson(spec));
}

/** The hash an instance records of the spec it runs (InstanceStatus.spec_hash): the digest's first 16 hex. */
export function instanceSpecHash(spec: HandlerSpec): string {
  return specDigest(spec).slice(0, 16);
}

/**
 * What a change from spec `a` to spec `b` means for a running instance: `process` — how it runs changed
 * (a restart puts it on the new spec); `placement` — only where or how many times it runs (`agents`,
 * `selector`, `count`); `rules` — only what no process reads: its resource policies (the agent's control
 * loop takes them up), its `labels` or its `update` block (the process is left alone); `none`. The one rule both the agent (store or restart) and the master (a rolling
 * update or not) decide by.
 */
export function specChange(a: HandlerSpec, b: HandlerSpec): 'none' | 'rules' | 'placement' | 'process' {
  // What no process reads: its resource policies (the agent's control loop), its labels (selectors) and its
  // update block (the master's rollouts).
  const placed = (s: HandlerSpec) =>
    specDigest({
      ...s,
      policies: undefined,
      labels: {},
      update: undefined as unknown as HandlerSpec['update'],
    });
  const process = (s: HandlerSpec) => placed({ ...s, agents: [], selector: {}, count: 1 });
  if (process(a) !== process(b)) return 'process';
  if (placed(a) !== placed(b)) return 'placement';
  return specDigest(a) === specDigest(b) ? 'none' : 'rules';
}

/** Hash of which spec each instance runs (Hello.specs_hash); the order of `instances` does not matter. */
export function specsHash(instances: Iterable<{ instance: string; spec_hash: string }>): string {
  const lines = [...instances].map((i) => `${i.instance} ${i.spec_hash}`).sort();
  return sha256(lines.join('\n'));
}

/** `specsHash` of an agent that runs exactly `specs`: each one for replica indexes 0..count-1. */
export function assignedSpecsHash(specs: readonly HandlerSpec[]): string {
  return specsHash(
    specs.flatMap((spec) => {
      const spec_hash = instanceSpecHash(spec);
      return Array.from({ length: spec.count ?? 1 }, (_, i) => ({
        instance: instanceKey(spec.name, i),
        spec_hash,
      }));
    }),
  );
}
