/**
 * Reading untrusted YAML (handlers files, settings files) in bounded, linear time, so that no single
 * request can stall the master or crash it (DESIGN §8.13). Checked in this order, each before the
 * expensive step it protects:
 * 1. size (bytes) — before anything;
 * 2. nesting, with the yaml lexer (linear) — deep nesting makes the yaml parser quadratic, and about
 *    1,000 levels of `- - - …` exhaust its stack and kill the process;
 * 3. the parse, with the yaml package's duplicate-key check off (it is quadratic: 100,000 keys in one
 *    map took 42 s);
 * 4. one walk over the nodes: keys per map, duplicate keys (a Set per map, naming the key and both
 *    lines), only plain YAML tags, aliases and the node count with aliases expanded (the alias bomb);
 * 5. conversion to plain JS.
 * Every refusal is a ValidationError naming the file, the key path or line, and the limit.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import type { Alias, Document, Node as YamlNode } from 'yaml';
import { formatBytes } from './durations.js';
import { ValidationError, errorMessage } from './errors.js';

/**
 * The yaml package, loaded at the first parse (it is CommonJS for Node, so a synchronous require): the
 * `gov` commands that read no YAML (`gov ps`, `gov logs` …) do not pay for loading it.
 */
let yamlLib: typeof YamlLib | undefined;
function yaml(): typeof YamlLib {
  return (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof YamlLib);
}

/** Largest YAML document read (bytes). The worst documents these limits allow: `npm run bench -- yaml`. */
export const MAX_YAML_BYTES = 1024 * 1024;
/** Most keys in one map. */
export const MAX_MAP_KEYS = 1000;
/** Most nodes in a document, counting each alias as the nodes it stands for. */
export const MAX_YAML_NODES = 20_000;
/** Most aliases (`*name`) in a document. */
export const MAX_YAML_ALIASES = 1000;
/** Deepest nesting, bounded per line by indentation columns + block indicators + open flow brackets. */
export const MAX_YAML_NESTING = 100;

/** Tags a document may spell out: YAML's own plain types. Anything else (`!!js/function`, `!foo`) is refused. */
const ALLOWED_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`).concat('!'),
);

/**
 * The text of a YAML file (`path`, named `file` in refusals), read up to MAX_YAML_BYTES and one byte more: a
 * larger file (or a device that never ends, `-f /dev/zero`) is refused without being read whole. Errors
 * reading it are thrown as they come (the caller names them).
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function readYamlFile(path: string, file = path): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size; // 0 for a pipe or a device
    if (size > MAX_YAML_BYTES) throw tooLarge(file, `${formatBytes(size)} (${size} bytes)`);
    const buf = Buffer.alloc(MAX_YAML_BYTES + 1);
    let got = 0;
    for (let n; got < buf.length && (n = readSync(fd, buf, got, buf.length - got, null)) > 0;) got += n;
    if (got > MAX_YAML_BYTES) throw tooLarge(file, `more than ${formatBytes(MAX_YAML_BYTES)}`);
    try {
      // Refused, not patched with U+FFFD: a command or a value would not be what the file says.
      return UTF8.decode(buf.subarray(0, got));
    } catch {
      throw new ValidationError(`${file}: is not valid UTF-8 text (save it as UTF-8)`);
    }
  } finally {
    closeSync(fd);
  }
}

function tooLarge(file: string, size: string): ValidationError {
  return new ValidationError(
    `${file}: too large: ${size}; the limit is ${formatBytes(MAX_YAML_BYTES)} (${MAX_YAML_BYTES} bytes) — split it into several files`,
  );
}

/**
 * Parses one YAML document from untrusted text into plain JS, within the limits above. A plain scalar at a
 * key path `asText` matches (`handlers[0].env.PORT`: values meant as strings) is kept as it is written:
 * `ZIP: 01234`, `VERSION: 1.10`, `MASK: 0x1F` are "01234", "1.10", "0x1F", not the numbers YAML reads.
 */
export function parseYamlInput(text: string, file: string, asText?: RegExp): unknown {
  const fail = (where: string, reason: string): never => {
    throw new ValidationError(`${file}: ${where ? `${where}: ` : ''}${reason}`);
  };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_YAML_BYTES) throw tooLarge(file, `${formatBytes(bytes)} (${bytes} bytes)`);
  checkShape(text, (line, what) =>
    what === 'nesting'
      ? fail(
          `line ${line}`,
          `nested too deep (more than ${MAX_YAML_NESTING} levels or columns of indentation)`,
        )
      : fail(
          `line ${line}`,
          `more than ${MAX_YAML_NODES} YAML nodes (values, lists, maps) in one document; split it into several files`,
        ),
  );
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, lineCounter: lines });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0] ?? lines.linePos(first.pos[0]);
    const why =
      first.code === 'MULTIPLE_DOCS'
        ? 'more than one YAML document (a "---" line starts another): put them in one, or in several files'
        : first.message.split('\n')[0];
    fail(pos ? `line ${pos.line}:${pos.col}` : 'yaml', `invalid YAML: ${why}`);
  }
  const walk = new Walk(doc, (offset) => lines.linePos(offset).line, fail, asText);
  walk.node(doc.contents, '(root)', []);
  let out: unknown;
  try {
    out = doc.toJS({ maxAliasCount: -1 }) as unknown; // aliases are bounded by the walk
  } catch (err) {
    return fail('yaml', errorMessage(err));
  }
  for (const t of walk.asWritten) keepAsWritten(out, t);
  return out;
}

/** A value (or a map key) at `path` of the parsed document to put back as the text it was written as. */
interface AsWritten {
  path: Array<string | number>;
  text: string;
  /** The key as YAML read it, to be renamed to `text` (else the value at `path` is replaced). */
  key?: string;
}

/** Applies one AsWritten to the plain JS of the document (not to its nodes: an alias elsewhere keeps its number). */
function keepAsWritten(root: unknown, t: AsWritten): void {
  let at: unknown = root;
  const last = t.key === undefined ? t.path.length - 1 : t.path.length;
  for (const seg of t.path.slice(0, last)) {
    if (at === null || typeof at !== 'object') return;
    at = (at as Record<string | number, unknown>)[seg];
  }
  if (at === null || typeof at !== 'object') return;
  const obj = at as Record<string | number, unknown>;
  if (t.key === undefined) obj[t.path[last] as string | number] = t.text;
  else if (Object.hasOwn(obj, t.key) && !Object.hasOwn(obj, t.text)) {
    obj[t.text] = obj[t.key];
    delete obj[t.key];
  }
}

/**
 * Before the parse, in one pass of the yaml lexer (linear; it knows quoting, so a `[` in a string is
 * not counted): refuses more than MAX_YAML_NODES nodes (scalars, flow collections, list items and
 * explicit keys: a lower bound of what the parse would build), and nesting deeper than
 * MAX_YAML_NESTING — an upper bound per line: a block collection's ancestors sit at distinct smaller
 * columns, compact ones (`- - x`) add an indicator each on the line, open flow brackets add one each.
 */
function checkShape(text: string, refuse: (line: number, what: 'nesting' | 'nodes') => never): void {
  let line = 1;
  let flow = 0;
  let indent = 0;
  let indicators = 0;
  let atLineStart = true;
  let nodes = 0;
  for (const tok of new (yaml().Lexer)().lex(text)) {
    if (tok === '\x1f' || tok.startsWith('"') || tok.startsWith("'")) nodes++;
    if (tok === '[' || tok === '{') {
      flow++;
      nodes++;
    } else if (tok === ']' || tok === '}') flow = Math.max(0, flow - 1);
    else if (tok === '-' || tok === '?' || tok === ':') {
      indicators++;
      if (tok !== ':') nodes++;
    } else if (atLineStart && /^ +$/.test(tok)) indent = tok.length;
    if (indent + indicators + flow > MAX_YAML_NESTING) refuse(line, 'nesting');
    if (nodes > MAX_YAML_NODES) refuse(line, 'nodes');
    atLineStart = false;
    const newlines = tok.split('\n').length - 1;
    if (newlines > 0) {
      line += newlines;
      atLineStart = true;
      indent = 0;
      indicators = 0;
    }
  }
}

/** One pass over the composed document: every check of step 4, linear in the document's size. */
class Walk {
  private nodes = 0;
  private aliases = 0;
  /** Expanded size of every collection/scalar visited (for the aliases that point at it). */
  private sizes = new Map<YamlNode, number>();

  constructor(
    private readonly doc: Document,
    private readonly lineOf: (offset: number) => number,
    private readonly fail: (where: string, reason: string) => never,
    private readonly asText?: RegExp,
  ) {}

  private line(n: YamlNode): number {
    return this.lineOf(n.range?.[0] ?? 0);
  }

  private count(n: number, where: string, line: number): void {
    this.nodes += n;
    if (this.nodes > MAX_YAML_NODES) {
      this.fail(
        where,
        `the document has more than ${MAX_YAML_NODES} nodes with aliases expanded (line ${line}); ` +
          `an alias bomb, or a file to split`,
      );
    }
  }

  /** Values and keys at `asText` paths that YAML read as numbers or booleans: their text, put back after toJS. */
  readonly asWritten: AsWritten[] = [];

  /** The text of a plain scalar YAML read as a number or boolean (`01234`, `1.10`, `0x1F`), else null. */
  private written(n: unknown): string | null {
    const { isScalar } = yaml();
    return isScalar(n) &&
      n.type === 'PLAIN' &&
      (typeof n.value === 'number' || typeof n.value === 'boolean') &&
      typeof n.source === 'string'
      ? n.source
      : null;
  }

  /** Visits `n` at key path `at` (`path`: its segments); returns its size in nodes with aliases expanded. */
  node(n: unknown, at: string, path: Array<string | number>): number {
    if (n === null || n === undefined) return 0;
    const { isAlias, isMap, isScalar, isSeq } = yaml();
    const text = this.asText?.test(at) ? this.written(isAlias(n) ? n.resolve(this.doc) : n) : null;
    if (text !== null) this.asWritten.push({ path, text });
    if (isAlias(n)) return this.alias(n, at);
    const node = n as YamlNode;
    const line = this.line(node);
    if (node.tag !== undefined && !ALLOWED_TAGS.has(node.tag)) {
      const tag = node.tag.replace(/^tag:yaml\.org,2002:/, '!!');
      this.fail(
        at,
        `tag ${tag} is not allowed (line ${line}); use plain strings, numbers, booleans, maps and lists`,
      );
    }
    this.sizes.set(node, -1); // in progress: an alias to it from inside is recursive
    let size = 1;
    this.count(1, at, line);
    if (isMap(n)) {
      if (n.items.length > MAX_MAP_KEYS) {
        this.fail(at, `${n.items.length} keys in one map (line ${line}); the limit is ${MAX_MAP_KEYS}`);
      }
      const seen = new Map<string, number>();
      for (const pair of n.items) {
        const key = pair.key;
        if (!isScalar(key) || (typeof key.value === 'object' && key.value !== null)) {
          const l = isAlias(key) || key === null ? line : this.line(key as YamlNode);
          this.fail(at, `a key must be a plain string (line ${l})`);
        }
        const name = String(key.value);
        const keyLine = this.line(key);
        const before = seen.get(name);
        if (before !== undefined) {
          this.fail(at, `duplicate key ${JSON.stringify(name)} at line ${keyLine} (first at line ${before})`);
        }
        seen.set(name, keyLine);
        const valueAt = at === '(root)' ? name : `${at}.${name}`;
        const keyText = this.asText?.test(valueAt) ? this.written(key) : null;
        if (keyText !== null) this.asWritten.push({ path, key: name, text: keyText });
        size += this.node(key, at, path);
        size += this.node(pair.value, valueAt, [...path, keyText ?? name]);
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => (size += this.node(item, `${at}[${i}]`, [...path, i])));
    }
    this.sizes.set(node, size);
    return size;
  }

  private alias(a: Alias, at: string): number {
    const line = this.line(a);
    if (++this.aliases > MAX_YAML_ALIASES) {
      this.fail(at, `more than ${MAX_YAML_ALIASES} aliases (line ${line})`);
    }
    const target = a.resolve(this.doc);
    const size = target ? this.sizes.get(target) : undefined;
    if (size === undefined) this.fail(at, `alias *${a.source} has no anchor before it (line ${line})`);
    if (size < 0) this.fail(at, `alias *${a.source} refers to a node that contains it (line ${line})`);
    // The nodes an alias stands for count again: a billion laughs is refused here, before toJS.
    this.count(size, at, line);
    return size;
  }
}
