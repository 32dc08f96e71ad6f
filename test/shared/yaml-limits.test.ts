/**
 * Untrusted YAML is read in bounded, linear time (DESIGN §8.13): oversized documents, huge maps, deep
 * nesting and alias bombs are refused with the file and the limit named before the expensive parse,
 * and a duplicate key names the key and its lines — for handlers files and daemon settings files alike.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../shared/errors.js';
import { readSettingsFile } from '../../shared/settings-file.js';
import { parseHandlersFile } from '../../shared/spec.js';
import {
  MAX_MAP_KEYS,
  MAX_YAML_BYTES,
  MAX_YAML_NESTING,
  MAX_YAML_NODES,
  parseYamlInput,
  readYamlFile,
} from '../../shared/yaml-input.js';
import { tempDir } from '../helpers/common.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, `a ValidationError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail('accepted');
}

const handlers = (text: string) => () => parseHandlersFile(text, 'handlers.yaml');

/** `n` keys `k0: 1` … as lines of a map indented by `indent`. */
const keys = (n: number, indent = ''): string =>
  Array.from({ length: n }, (_, i) => `${indent}k${i}: 1\n`).join('');

const LAUGHS = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
].join('\n');

describe('untrusted YAML is bounded and linear', () => {
  it('a file over the size limit is refused without being read whole: a large file, a device that never ends', () => {
    const dir = tempDir('gov-yaml-file-');
    const big = path.join(dir, 'big.yaml');
    writeFileSync(big, 'x'.repeat(MAX_YAML_BYTES + 10));
    assert.match(
      refusal(() => readYamlFile(big, 'big.yaml')),
      /^big\.yaml: too large: 1\.0 MiB \(1048586 bytes\); the limit is 1\.0 MiB \(1048576 bytes\)/,
    );
    // /dev/zero has no size and no end: read up to the limit and one byte more, then refused.
    assert.match(
      refusal(() => readYamlFile('/dev/zero')),
      /^\/dev\/zero: too large: more than 1\.0 MiB;/,
    );
    assert.match(
      refusal(() => readSettingsFile('/dev/zero', ['labels'])),
      /^\/dev\/zero: too large: more than/,
    );
    const small = path.join(dir, 'small.yaml');
    writeFileSync(small, 'x'.repeat(MAX_YAML_BYTES));
    assert.equal(readYamlFile(small).length, MAX_YAML_BYTES, 'exactly at the limit is read');
  });

  it('a file that is not valid UTF-8 is refused, not read with replacement characters', () => {
    const file = path.join(tempDir('gov-yaml-file-'), 'latin1.yaml');
    writeFileSync(
      file,
      Buffer.from('handlers:\n  - {name: a, command: [sh, -c, "echo caf\xe9"]}\n', 'latin1'),
    );
    assert.equal(
      refusal(() => readYamlFile(file, 'latin1.yaml')),
      'latin1.yaml: is not valid UTF-8 text (save it as UTF-8)',
    );
  });

  it('refuses a document over the size limit, naming its size and the limit', () => {
    const text = `handlers:\n  - name: web\n    command: [x]\n    env:\n${keys(100_000, '      ')}`;
    assert.ok(Buffer.byteLength(text) > MAX_YAML_BYTES); // the 1.6 MB apply of the report
    assert.match(
      refusal(handlers(text)),
      /^handlers\.yaml: too large: 1\.\d MiB \(\d+ bytes\); the limit is 1\.0 MiB \(1048576 bytes\)/,
    );
    assert.match(refusal(handlers('x'.repeat(11_000_000))), /too large: 10\.5 MiB/);
  });

  it('refuses a 100,000-key map that fits the size limit, before parsing it', () => {
    const text = Array.from({ length: 100_000 }, (_, i) => `${i}: 1`).join('\n');
    assert.ok(Buffer.byteLength(text) <= MAX_YAML_BYTES);
    assert.match(
      refusal(handlers(text)),
      new RegExp(`^handlers\\.yaml: line \\d+: more than ${MAX_YAML_NODES} YAML nodes`),
    );
  });

  it('refuses more keys in one map than the limit, naming the map and its line', () => {
    const text = `handlers:\n  - name: web\n    command: [x]\n    env:\n${keys(MAX_MAP_KEYS + 1, '      ')}`;
    assert.equal(
      refusal(handlers(text)),
      `handlers.yaml: handlers[0].env: ${MAX_MAP_KEYS + 1} keys in one map (line 5); the limit is ${MAX_MAP_KEYS}`,
    );
  });

  it('a duplicate key names the key, its line and the first one, wherever it is', () => {
    assert.equal(
      refusal(
        handlers(
          'handlers:\n  - name: web\n    command: [x]\n    env:\n      A: 1\n      B: 2\n      A: 3\n',
        ),
      ),
      'handlers.yaml: handlers[0].env: duplicate key "A" at line 7 (first at line 5)',
    );
    assert.equal(
      refusal(handlers('handlers:\n  - name: web\n    command: [x]\n    name: other\n')),
      'handlers.yaml: handlers[0]: duplicate key "name" at line 4 (first at line 2)',
    );
    assert.match(
      refusal(handlers('handlers: []\nhandlers: []\n')),
      /^handlers\.yaml: \(root\): duplicate key "handlers" at line 2 \(first at line 1\)/,
    );
  });

  it('refuses an alias bomb (billion laughs) with the file named, and a recursive alias', () => {
    assert.match(
      refusal(handlers(LAUGHS)),
      new RegExp(
        `^handlers\\.yaml: [a-i]\\[\\d+\\]: the document has more than ${MAX_YAML_NODES} nodes with aliases expanded \\(line \\d\\)`,
      ),
    );
    assert.match(
      refusal(handlers('a: &x [*x]\n')),
      /^handlers\.yaml: a\[0\]: alias \*x refers to a node that contains it/,
    );
    // Aliases within the limits still work.
    const [s] = parseHandlersFile(
      'handlers:\n  - name: web\n    command: [x]\n    env: &common {A: "1"}\n  - name: api\n    command: [y]\n    env: *common\n',
      'handlers.yaml',
    );
    assert.deepEqual(s?.env, { A: '1' });
  });

  it('refuses nesting deeper than the limit before the parser sees it (flow and block)', () => {
    const deep = MAX_YAML_NESTING * 100;
    for (const text of [`a: ${'['.repeat(deep)}${']'.repeat(deep)}\n`, `${'- '.repeat(deep)}x\n`]) {
      assert.match(
        refusal(handlers(text)),
        new RegExp(`^handlers\\.yaml: line 1: nested too deep \\(more than ${MAX_YAML_NESTING} levels`),
      );
    }
    // Brackets inside a string are not nesting.
    assert.deepEqual(parseYamlInput(`a: "${'['.repeat(deep)}"\n`, 'f.yaml'), { a: '['.repeat(deep) });
  });

  it('settings files get the same limits', () => {
    const f = path.join(tempDir(), 'master.yaml');
    writeFileSync(f, 'listen: a\nlisten: b\n');
    assert.equal(
      refusal(() => readSettingsFile(f, ['listen'])),
      `${f}: (root): duplicate key "listen" at line 2 (first at line 1)`,
    );
    writeFileSync(f, LAUGHS);
    assert.match(
      refusal(() => readSettingsFile(f, ['a'])),
      new RegExp(`^${f}: .*aliases expanded`),
    );
  });
});
