/** One rule for signal names: parseSignal accepts a platform name with or without SIG, in any case. */
import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import { SIGNAL_NAMES, parseSignal } from '../../shared/signals.js';

describe('signal names: one rule', () => {
  it('accepts HUP, SIGHUP and any case, giving the SIG-prefixed name', () => {
    for (const t of ['HUP', 'SIGHUP', 'hup', 'sigHup']) assert.equal(parseSignal(t), 'SIGHUP');
    assert.equal(parseSignal('usr1'), 'SIGUSR1');
    assert.equal(parseSignal('KILL'), 'SIGKILL');
    for (const n of SIGNAL_NAMES) assert.equal(parseSignal(n), n);
    assert.ok(SIGNAL_NAMES.includes('SIGTERM'));
  });

  it('refuses numbers, unknown names and empty text, naming the text and valid names', () => {
    for (const t of ['9', '1', 'SIG9', '', 'FOO', 'SIG', ' HUP', 'HUP ', 'SIGSIGHUP', '-HUP']) {
      assert.throws(
        () => parseSignal(t),
        (e: unknown) =>
          e instanceof ValidationError &&
          e.message.includes(JSON.stringify(t)) &&
          e.message.includes('HUP') &&
          e.message.includes('USR1'),
        t,
      );
    }
  });
});
