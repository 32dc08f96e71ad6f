import assert from 'node:assert/strict';
import { checkControl } from '../../shared/control-request.js';

describe('control requests: one check for the master and the local socket', () => {
  it('an action, a signal and a hold are checked, and what the execution records follows from them', () => {
    assert.deepEqual(checkControl({ action: 'signal', signal: 'hup', main: true }), {
      action: 'signal',
      kind: 'SIGNAL',
      signal: 'SIGHUP',
      main: true,
      holdMs: 0,
      paramsSummary: 'SIGHUP main',
    });
    const e = checkControl({ action: 'ensure', hold_ms: 600_000 });
    assert.equal(e.kind, 'ENSURE');
    assert.equal(e.holdMs, 600_000);
    assert.equal(e.paramsSummary, 'hold 10m');
    assert.equal(checkControl({ action: 'release' }).kind, 'RELEASE');
  });

  it('refuses an unknown action, an unknown signal and a hold on anything but ensure, naming the field', () => {
    assert.throws(() => checkControl({ action: 'reboot' }), { message: /action "reboot" must be one of/ });
    assert.throws(() => checkControl({ action: 'signal', signal: 'NOPE' }), { message: /NOPE/ });
    assert.throws(() => checkControl({ action: 'stop', hold_ms: 1000 }), {
      message: /hold_ms only applies to action ensure, not stop/,
    });
    assert.throws(() => checkControl({ action: 'ensure', hold_ms: -5 }), { message: /^hold_ms: / });
  });

  it('only an exact 0 hold is no lease: NaN, a fraction or a length past the timer cap is refused naming hold_ms', () => {
    for (const hold_ms of [NaN, 0.5, 2 ** 31, Infinity])
      assert.throws(
        () => checkControl({ action: 'ensure', hold_ms }),
        { message: /^hold_ms: / },
        String(hold_ms),
      );
    assert.throws(() => checkControl({ action: 'start', hold_ms: NaN }), {
      message: /^hold_ms only applies/,
    });
    assert.throws(() => checkControl({ action: 'signal', signal: 'HUP', hold_ms: 5 }), {
      message: /^hold_ms only applies to action ensure, not signal/,
    });
    assert.equal(checkControl({ action: 'ensure', hold_ms: 2 ** 31 - 1 }).holdMs, 2 ** 31 - 1);
  });
});
