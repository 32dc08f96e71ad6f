/** One rule for a process id an admin may name (gov attach, the Attach RPC, the agent's attach). */
import assert from 'node:assert/strict';
import { PID_MAX, isPid } from '../../shared/proc.js';

describe('process ids: one rule', () => {
  it('an integer from 2 to PID_MAX (2^22); init, fractions, strings and the impossible are refused', () => {
    assert.equal(PID_MAX, 4_194_304);
    for (const ok of [2, 300, process.pid, PID_MAX]) assert.ok(isPid(ok), String(ok));
    for (const bad of [1, 0, -5, 2.5, PID_MAX + 1, Number.NaN, Infinity, '42', null, undefined])
      assert.ok(!isPid(bad), String(bad));
  });
});
