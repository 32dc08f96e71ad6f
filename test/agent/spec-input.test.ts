/**
 * Spec values that would reach a process unchecked are refused at validation, naming the file, the key
 * path and the reason, before anything changes: environment names, NUL bytes, custom YAML tags and a
 * relative cwd; a cwd missing on the agent is named before any spawn.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../shared/errors.js';
import { parseHandlersFile } from '../../shared/spec.js';
import { tempDir } from '../helpers/common.js';
import { spec, supervisors } from './health-helpers.js';

function refuse(handler: string): string {
  try {
    parseHandlersFile(`handlers:\n  - name: web\n${handler}`, 'handlers.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail('spec was accepted');
}

describe('spec values that reach a process are checked first', () => {
  const s = supervisors();
  afterEach(() => s.close());

  it('refuses env names with =, a newline, NUL, or nothing, and names starting with a digit', () => {
    const cmd = '    command: [x]\n';
    const reason = 'is not an environment variable name (letters, digits and _, not starting with a digit)';
    assert.equal(
      refuse(`${cmd}    env: {"PATH=/tmp/evil:/usr/bin": x}\n`),
      `handlers.yaml: handlers[0].env."PATH=/tmp/evil:/usr/bin": ${reason}`,
    );
    assert.equal(
      refuse(`${cmd}    env: {"A\\nB": x}\n`),
      `handlers.yaml: handlers[0].env."A\\nB": ${reason}`,
    );
    assert.equal(
      refuse(`${cmd}    env: {"A\\0": x}\n`),
      `handlers.yaml: handlers[0].env."A\\u0000": ${reason}`,
    );
    assert.equal(refuse(`${cmd}    env: {"": x}\n`), `handlers.yaml: handlers[0].env."": ${reason}`);
    assert.match(refuse(`${cmd}    env: {1A: x}\n`), /handlers\[0\]\.env\."1A": is not an environment/);
    const [ok] = parseHandlersFile(`handlers:\n  - name: web\n${cmd}    env: {_A1: x, PORT: 80}\n`, 'h.yaml');
    assert.deepEqual(ok?.env, { _A1: 'x', PORT: '80' });
  });

  it('refuses NUL bytes in env values, args, a command string and cwd', () => {
    assert.equal(
      refuse('    command: [x]\n    env: {A: "a\\0b"}\n'),
      'handlers.yaml: handlers[0].env.A: "a\\u0000b" contains a NUL byte',
    );
    assert.equal(
      refuse('    command: [node, "a\\0b"]\n'),
      'handlers.yaml: handlers[0].command[1]: "a\\u0000b" contains a NUL byte',
    );
    assert.match(
      refuse('    command: "node a\\0b"\n'),
      /^handlers\.yaml: handlers\[0\]\.command: .* contains a NUL byte/,
    );
    assert.match(
      refuse('    command: [x]\n    cwd: "/srv\\0x"\n'),
      /^handlers\.yaml: handlers\[0\]\.cwd: .* contains a NUL byte/,
    );
  });

  it('refuses custom and unknown tags instead of keeping them as strings', () => {
    assert.equal(
      refuse('    command: !!js/function "function () { return 1 }"\n'),
      'handlers.yaml: handlers[0].command: tag !!js/function is not allowed (line 3); use plain strings, numbers, booleans, maps and lists',
    );
    assert.match(
      refuse('    command: [x]\n    env: {A: !foo bar}\n'),
      /^handlers\.yaml: handlers\[0\]\.env\.A: tag !foo is not allowed \(line 4\)/,
    );
    assert.match(
      refuse('    command: [x]\n    env: !!set {A}\n'),
      /handlers\[0\]\.env: tag !!set is not allowed/,
    );
    // YAML's own plain tags stay usable.
    const [ok] = parseHandlersFile('handlers:\n  - name: web\n    command: [x, !!str 123]\n', 'h.yaml');
    assert.deepEqual(ok?.command, ['x', '123']);
  });

  it('refuses a relative cwd', () => {
    assert.equal(
      refuse('    command: [x]\n    cwd: srv/web\n'),
      'handlers.yaml: handlers[0].cwd: "srv/web" must be an absolute path',
    );
  });

  it('a cwd missing on the agent, or a file, fails the start naming the handler, cwd and the path', async () => {
    const sup = await s.make();
    const dir = tempDir();
    const missing = path.join(dir, 'nope');
    const file = path.join(dir, 'file');
    writeFileSync(file, '');
    const statuses = await sup.applySpecs([
      spec({ name: 'gone', command: ['node', '-e', '0'], cwd: missing }),
      spec({ name: 'notdir', command: ['node', '-e', '0'], cwd: file }),
    ]);
    const by = (name: string) => statuses.find((x) => x.handler === name);
    const gone = by('gone');
    assert.equal(gone?.state, 'fatal');
    assert.equal(gone?.pid, null);
    assert.ok(
      gone?.events.some(
        (e) => e.message === `SPAWN_FAILED handler gone: cwd: ${missing} does not exist on this agent`,
      ),
      JSON.stringify(gone?.events),
    );
    assert.ok(
      by('notdir')?.events.some(
        (e) => e.message === `SPAWN_FAILED handler notdir: cwd: ${file} is not a directory`,
      ),
      JSON.stringify(by('notdir')?.events),
    );
  });
});
