/** bad specs are refused with the file, the key path and the reason. */
import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import { parseHandlersFile } from '../../shared/spec.js';

function refuse(yaml: string): string {
  try {
    parseHandlersFile(yaml, 'handlers.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('spec was accepted');
}

const ok = '  - name: ok\n    command: [node, a.js]\n';

describe('handler spec validation', () => {
  it('accepts a valid file and compiles durations to ms', () => {
    const [s] = parseHandlersFile(
      'handlers:\n  - name: web\n    command: [node, server.js]\n    stop_timeout: 10s\n    backoff: {initial: 250ms, max: 1m}\n',
      'handlers.yaml',
    );
    assert.equal(s?.stop_timeout_ms, 10_000);
    assert.deepEqual(s?.backoff, { initial_ms: 250, max_ms: 60_000, factor: 2, jitter: 0.1 });
    assert.equal(s?.restart, 'always');
  });

  it('type (simple | forking), pid_file (forking only, absolute) and limits.pids are checked; absent type stays absent', () => {
    const [f, s] = parseHandlersFile(
      `handlers:\n  - name: d\n    command: [x]\n    type: forking\n    pid_file: /run/d.pid\n    limits: {pids: 50}\n${ok}`,
      'handlers.yaml',
    );
    assert.equal(f?.type, 'forking');
    assert.equal(f?.pid_file, '/run/d.pid');
    assert.equal(f?.limits.pids, 50);
    assert.equal('type' in (s ?? {}), false, 'a spec without type hashes as before the key existed');
    const at = `handlers:\n  - name: d\n    command: [x]\n`;
    assert.match(
      refuse(`${at}    type: oneshot\n`),
      /handlers\[0\]\.type: "oneshot" must be one of simple \| forking/,
    );
    assert.match(
      refuse(`${at}    pid_file: /run/d.pid\n`),
      /handlers\[0\]\.pid_file: only applies to type: forking/,
    );
    assert.match(refuse(`${at}    type: forking\n    pid_file: d.pid\n`), /handlers\[0\]\.pid_file: /);
    assert.match(
      refuse(`${at}    limits: {pids: 0}\n`),
      /handlers\[0\]\.limits\.pids: 0 must be an integer ≥ 1/,
    );
    assert.match(
      refuse(`${at}    limits: {pids: 5000000}\n`),
      /handlers\[0\]\.limits\.pids: 5000000 is more than 4194304/,
    );
  });

  it('notify, watchdog (notify only), idle_cpu / idle_action (on-demand only) and frozen_timeout (freeze only) are checked; absent stays absent', () => {
    const [f, s] = parseHandlersFile(
      `handlers:\n  - name: d\n    command: [x]\n    mode: on-demand\n    notify: true\n    watchdog: 30s\n    idle_cpu: 2%\n    idle_action: freeze\n    frozen_timeout: 10m\n${ok}`,
      'handlers.yaml',
    );
    assert.equal(f?.notify, true);
    assert.equal(f?.watchdog_ms, 30_000);
    assert.equal(f?.idle_cpu_percent, 2);
    assert.equal(f?.idle_action, 'freeze');
    assert.equal(f?.frozen_timeout_ms, 600_000);
    for (const k of ['notify', 'watchdog_ms', 'idle_cpu_percent', 'idle_action', 'frozen_timeout_ms'])
      assert.equal(k in (s ?? {}), false, `${k}: a spec without it hashes as before the key existed`);
    const at = `handlers:\n  - name: d\n    command: [x]\n`;
    const od = `${at}    mode: on-demand\n`;
    assert.match(refuse(`${at}    notify: yes\n`), /handlers\[0\]\.notify: "yes" must be true or false/);
    assert.match(
      refuse(`${at}    start_timeout: 5s\n`),
      /handlers\[0\]\.start_timeout: only applies to notify: true or type: forking/,
    );
    assert.equal(
      parseHandlersFile(`${at}    type: forking\n    start_timeout: 5s\n`, 'h')[0]?.start_timeout_ms,
      5000,
    );
    assert.match(refuse(`${at}    watchdog: 30s\n`), /handlers\[0\]\.watchdog: only applies to notify: true/);
    assert.match(
      refuse(`${at}    notify: true\n    watchdog: 0s\n`),
      /handlers\[0\]\.watchdog: must be greater than 0/,
    );
    assert.match(
      refuse(`${at}    idle_cpu: 1%\n`),
      /handlers\[0\]\.idle_cpu: only applies to mode: on-demand/,
    );
    assert.match(refuse(`${od}    idle_cpu: lots\n`), /handlers\[0\]\.idle_cpu: "lots" is not a CPU share/);
    assert.match(
      refuse(`${at}    idle_action: freeze\n`),
      /handlers\[0\]\.idle_action: only applies to mode: on-demand/,
    );
    assert.match(
      refuse(`${od}    idle_action: sleep\n`),
      /handlers\[0\]\.idle_action: "sleep" must be one of stop \| freeze/,
    );
    assert.match(
      refuse(`${od}    frozen_timeout: 1m\n`),
      /handlers\[0\]\.frozen_timeout: only applies to idle_action: freeze/,
    );
  });

  it('refuses an unknown key, naming it', () => {
    const msg = refuse(`handlers:\n${ok}  - name: web\n    command: [x]\n    restat: always\n`);
    assert.match(msg, /^handlers\.yaml: handlers\[1\]\.restat: unknown key/);
  });

  it('refuses a bad duration', () => {
    const msg = refuse(`handlers:\n${ok}  - name: web\n    command: [x]\n    stop_timeout: 10x\n`);
    assert.equal(
      msg,
      'handlers.yaml: handlers[1].stop_timeout: "10x" is not a duration (use e.g. 500ms, 10s, 5m)',
    );
  });

  it('refuses values the wire or the kernel cannot carry: integers past uint32, a log keep past 1000, sizes and CPU shares past their maximum, lists for scalars', () => {
    const one = (field: string): string =>
      refuse(`handlers:\n  - name: web\n    command: [x]\n    ${field}\n`);
    assert.equal(
      one('start_retries: 4294967296'),
      'handlers.yaml: handlers[0].start_retries: 4294967296 is more than 4294967295',
    );
    assert.equal(
      one('health: {tcp: 1, healthy_threshold: 4294967296}'),
      'handlers.yaml: handlers[0].health.healthy_threshold: 4294967296 is more than 4294967295',
    );
    assert.equal(
      one('log: {max_size: 10, keep: 300000000}'),
      'handlers.yaml: handlers[0].log.keep: 300000000 is more than 1000',
    );
    assert.match(
      one('limits: {memory: 1e300}'),
      /^handlers\.yaml: handlers\[0\]\.limits\.memory: .*is not a size/,
    );
    assert.match(
      one('limits: {memory: 99999999999999999999999GiB}'),
      /^handlers\.yaml: handlers\[0\]\.limits\.memory: .*is not a size/,
    );
    assert.match(
      one('limits: {memory: [100MiB]}'),
      /^handlers\.yaml: handlers\[0\]\.limits\.memory: \["100MiB"\] is not a size/,
    );
    assert.match(one('limits: {cpu: ["50%"]}'), /^handlers\.yaml: handlers\[0\]\.limits\.cpu: /);
    assert.match(
      one('limits: {cpu: 99999999%}'),
      /^handlers\.yaml: handlers\[0\]\.limits\.cpu: .*more than 100000%/,
    );
    assert.match(one('log: {max_size: [10]}'), /^handlers\.yaml: handlers\[0\]\.log\.max_size: /);
    // Bounds added later refuse what is applied now; a spec stored or cached before them still loads (an
    // agent's own --handlers file, a spec on the wire): it must keep reaching its agent.
    const [stored] = parseHandlersFile(
      'handlers:\n  - name: web\n    command: [x]\n    log: {keep: 5000}\n    health: {tcp: 1, timeout: 0s}\n' +
        '    update: {progress_deadline: 2s}\n',
      'handlers.yaml',
      false,
    );
    assert.equal(stored?.log.keep, 5000);
  });

  it('refuses an http check URL that does not parse (a port over 65535, a broken host) and a probe timeout of 0', () => {
    const one = (field: string): string =>
      refuse(`handlers:\n  - name: web\n    command: [x]\n    ${field}\n`);
    for (const url of ['http://127.0.0.1:99999/', 'http://[::1/'])
      assert.equal(
        one(`health: {http: "${url}"}`),
        `handlers.yaml: handlers[0].health.http: "${url}" is not an http(s) URL`,
      );
    assert.equal(
      one('health: {tcp: 8080, timeout: 0s}'),
      'handlers.yaml: handlers[0].health.timeout: must be greater than 0',
    );
  });

  it('labels and selector: every pair must be a label a selector can name (key, comma, spaces)', () => {
    const cases: Array<[string, RegExp]> = [
      [
        'labels: {"a b": x}',
        /^handlers\.yaml: handlers\[0\]\.labels\."a b": label key "a b" must start with a letter or digit/,
      ],
      ['labels: {"": x}', /^handlers\.yaml: handlers\[0\]\.labels\."": label key ""/],
      ['labels: {"a=b": x}', /handlers\[0\]\.labels\."a=b": label key "a=b"/],
      ['labels: {k: "a,b"}', /handlers\[0\]\.labels\.k: label value "a,b" must not hold a comma/],
      [
        'labels: {k: " v "}',
        /handlers\[0\]\.labels\.k: label value " v " must not start or end with a space/,
      ],
      ['selector: {"": x}', /^handlers\.yaml: handlers\[0\]\.selector\."": label key ""/],
      // A control character in a key is shown escaped, never written to the terminal as it is.
      ['labels: {"t\\u0001": x}', /^handlers\.yaml: handlers\[0\]\.labels\."t\\u0001": label key/],
    ];
    for (const [line, message] of cases)
      assert.match(refuse(`handlers:\n  - name: web\n    command: [x]\n    ${line}\n`), message, line);
    const [s] = parseHandlersFile(
      'handlers:\n  - name: web\n    command: [x]\n    labels: {tier: web, app.io/v: 1}\n    selector: {region: west}\n',
      'h.yaml',
    );
    assert.deepEqual(s?.labels, { tier: 'web', 'app.io/v': '1' });
    assert.deepEqual(s?.selector, { region: 'west' });
  });

  it('refuses agents and selector together: a handler runs on the agents listed or on those the selector picks', () => {
    const both =
      'handlers:\n  - name: web\n    command: [x]\n    agents: [edge-2]\n    selector: {region: west}\n';
    // An agent's --handlers file is read as older versions read it: an upgrade never stops an agent over it.
    assert.equal(parseHandlersFile(both, 'h.yaml', false).length, 1);
    assert.match(
      refuse(
        'handlers:\n  - name: web\n    command: [x]\n    agents: [edge-2]\n    selector: {region: west}\n',
      ),
      /^handlers\.yaml: handlers\[0\]\.selector: cannot be given with agents/,
    );
  });

  it('refuses a bad name', () => {
    const msg = refuse('handlers:\n  - name: Web_Server!\n    command: [x]\n');
    assert.match(msg, /^handlers\.yaml: handlers\[0\]\.name: "Web_Server!" is not a valid name/);
  });

  it('refuses an empty or missing command', () => {
    assert.equal(
      refuse('handlers:\n  - name: web\n    command: []\n'),
      'handlers.yaml: handlers[0].command: must not be empty',
    );
    assert.equal(refuse('handlers:\n  - name: web\n'), 'handlers.yaml: handlers[0].command: is required');
    assert.match(
      refuse('handlers:\n  - name: web\n    command: [node, ""]\n'),
      /handlers\[0\]\.command\[1\]:/,
    );
  });

  it('refuses a bad stop signal (and SIGKILL)', () => {
    assert.match(
      refuse('handlers:\n  - name: web\n    command: [x]\n    stop_signal: SIGFOO\n'),
      /^handlers\.yaml: handlers\[0\]\.stop_signal: "SIGFOO" is not a signal/,
    );
    assert.match(
      refuse('handlers:\n  - name: web\n    command: [x]\n    stop_signal: KILL\n'),
      /handlers\[0\]\.stop_signal: "KILL" is not a signal/,
    );
  });

  it('refuses a bad restart policy and duplicate names', () => {
    assert.match(
      refuse('handlers:\n  - name: web\n    command: [x]\n    restart: sometimes\n'),
      /handlers\[0\]\.restart: "sometimes" must be one of always \| on-failure \| never/,
    );
    assert.match(refuse(`handlers:\n${ok}${ok}`), /handlers\[1\]\.name: duplicate handler name "ok"/);
  });

  it('refuses an update block whose healthy deadline is not longer than min_healthy_time, and a bad count', () => {
    assert.match(
      refuse('handlers:\n  - name: web\n    command: [x]\n    update: {min_healthy_time: 2m}\n'),
      /^handlers\.yaml: handlers\[0\]\.update\.healthy_deadline: 60000 ms must be longer than min_healthy_time \(120000 ms\)/,
    );
    assert.match(
      refuse('handlers:\n  - name: web\n    command: [x]\n    count: 0\n'),
      /handlers\[0\]\.count: 0 must be an integer ≥ 1/,
    );
    assert.match(
      refuse('handlers:\n  - name: web\n    command: [x]\n    update: {batch_size: 0%}\n'),
      /handlers\[0\]\.update\.batch_size: "0%" must be a count ≥ 1 or a percentage/,
    );
  });
});
