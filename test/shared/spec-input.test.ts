/**
 * Spec values that would reach a process unchecked are refused at validation, naming the file, the key
 * path and the reason, before anything changes: environment names, NUL bytes, custom YAML tags and a
 * relative cwd (a cwd missing on the agent: test/agent/spawn-cwd.test.ts).
 */
import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import { parseHandler, parseHandlersFile } from '../../shared/spec.js';

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

  it('env, labels and selector values are kept as written; a wrong type is refused, not converted', () => {
    const [h] = parseHandlersFile(
      'handlers:\n  - name: web\n    command: [x]\n' +
        '    env: {VERSION: 1.10, ZIP: 01234, UMASK: 022, MASK: 0x1F, E: 1e3, ID: 12345678901234567890, P: +5, ON: true, PORT: 8080}\n' +
        '    labels: {ver: 1.10}\n    selector: {rack: 01}\n',
      'h.yaml',
    );
    assert.deepEqual(h?.env, {
      VERSION: '1.10',
      ZIP: '01234',
      UMASK: '022',
      MASK: '0x1F',
      E: '1e3',
      ID: '12345678901234567890',
      P: '+5',
      ON: 'true',
      PORT: '8080',
    });
    assert.deepEqual(h?.labels, { ver: '1.10' });
    assert.deepEqual(h?.selector, { rack: '01' });
    // Only there: an anchored value keeps its number where it is aliased, an alias there gets the anchor's
    // text, and keys that look like numbers keep theirs too.
    const [a] = parseHandlersFile(
      'handlers:\n  - name: web\n    command: [x]\n    count: &c 02\n    stop_timeout: &t 5\n' +
        '    env: {A: *c, B: *t, C: &n 7}\n    labels: {1.10: a, 010: b}\n    update: {batch_size: *n}\n',
      'h.yaml',
    );
    assert.equal(a?.count, 2);
    assert.equal(a?.stop_timeout_ms, 5000);
    assert.deepEqual(a?.env, { A: '02', B: '5', C: '7' });
    assert.deepEqual(a?.labels, { '1.10': 'a', '010': 'b' });
    assert.equal(a?.update.batch_size, '7');
    // A spec given as data (JSON, an API call): a number that may not be what was meant is refused.
    assert.throws(
      () => parseHandler({ name: 'web', command: ['x'], env: { VERSION: 1.1 } }, 'handlers[0]', 'api'),
      /handlers\[0\]\.env\.VERSION: the number 1\.1 may not be what was meant: quote it/,
    );
    assert.match(
      refuse('    command: [x]\n    health: {exec: [/bin/true], restart_on_unhealthy: "yes"}\n'),
      /health\.restart_on_unhealthy: "yes" must be true or false/,
    );
    assert.match(
      refuse('    command: [x]\n    update: {batch_size: [2]}\n'),
      /update\.batch_size: \[2\] must be a count/,
    );
    for (const map of ['env', 'labels', 'selector'])
      assert.match(
        refuse(`    command: [x]\n    ${map}: {__proto__: x}\n`),
        new RegExp(`${map}\\.__proto__: is not a key a map of strings may hold`),
      );
  });

  it('a command string is split at spaces only: quotes or shell syntax in it are refused, naming the list form', () => {
    const [ok] = parseHandlersFile(
      'handlers:\n  - name: web\n    command: "node  server.js --port=80"\n',
      'h.yaml',
    );
    assert.deepEqual(ok?.command, ['node', 'server.js', '--port=80']);
    for (const cmd of [
      `sh -c 'echo a b'`,
      'a "b c"',
      'a | b',
      'a $HOME',
      'a *.js',
      'a > log',
      'a\\ b',
      '~/bin/a',
    ]) {
      assert.match(
        refuse(`    command: ${JSON.stringify(cmd)}\n`),
        /^handlers\.yaml: handlers\[0\]\.command: .*a command string is only split at spaces.*\[sh, -c, "…"\]/,
        cmd,
      );
    }
  });

  it('names the reason in words of the file: .inf as a duration, a signal number, a second document', () => {
    assert.match(
      refuse('    command: [x]\n    stop_timeout: .inf\n'),
      /stop_timeout: Infinity is not a duration/,
    );
    assert.match(refuse('    command: [x]\n    stop_timeout: .nan\n'), /stop_timeout: NaN is not a duration/);
    assert.match(
      refuse('    command: [x]\n    stop_signal: 15\n'),
      /stop_signal: 15: a signal is given by its name/,
    );
    assert.match(
      refuse('    command: [x]\n---\n'),
      /^handlers\.yaml: line 4:1: invalid YAML: more than one YAML document/,
    );
  });

  it('refuses a relative cwd', () => {
    assert.equal(
      refuse('    command: [x]\n    cwd: srv/web\n'),
      'handlers.yaml: handlers[0].cwd: "srv/web" must be an absolute path',
    );
  });
});
