/** One rule for names (handlers, issued agent ids and cert names) and one, looser, for referring to an agent. */
import assert from 'node:assert/strict';
import { NAME_RULE, compareNames, isAgentRef, isName, nameRefusal } from '../../shared/names.js';
import { validateName } from '../../shared/pki.js';
import { parseHandlersFile } from '../../shared/spec.js';

const GOOD = ['web', 'a', '0', 'edge-1', 'web.v2_x', 'a'.repeat(63)];
const BAD = ['', 'Web', '-web', '.web', '_web', 'web!', 'a b', 'a'.repeat(64), 'web@edge', 'web#1', 'é'];

function specAccepts(name: string, agent = 'edge-1'): boolean {
  try {
    parseHandlersFile(
      `handlers:\n  - name: ${JSON.stringify(name)}\n    agents: [${JSON.stringify(agent)}]\n    command: [x]\n`,
      'h.yaml',
    );
    return true;
  } catch {
    return false;
  }
}

describe('names: one rule each', () => {
  it('a name is 1-63 lowercase letters, digits, . _ - starting with a letter or digit', () => {
    for (const n of GOOD) assert.ok(isName(n), n);
    for (const n of BAD) assert.ok(!isName(n), n);
    assert.ok(!isName(7));
    assert.equal(nameRefusal('Web'), `"Web" is not a valid name (${NAME_RULE})`);
    assert.equal(nameRefusal('X', 'agent id'), `"X" is not a valid agent id (${NAME_RULE})`);
  });

  it('spec names, spec agent ids and certificate names follow the same rule', () => {
    for (const n of [...GOOD, ...BAD]) {
      const ok = isName(n);
      assert.equal(specAccepts(n), ok, `spec name ${n}`);
      assert.equal(specAccepts('web', n), ok, `spec agent ${n}`);
      assert.equal(
        (() => {
          try {
            validateName('agent', n);
            return true;
          } catch {
            return false;
          }
        })(),
        ok,
        `cert name ${n}`,
      );
    }
  });

  it('an agent reference is any certificate CN: non-empty, no whitespace (a foreign CN can still be revoked)', () => {
    for (const r of ['edge-1', 'Edge_1', 'host.example.com', 'CN-with-UPPER']) {
      assert.ok(isAgentRef(r), r);
    }
    for (const r of ['', ' ', 'a b', 'a\tb', 'a\n']) {
      assert.ok(!isAgentRef(r), JSON.stringify(r));
    }
  });

  it('compareNames orders names and instance keys by code unit', () => {
    const names = ['web2', 'web-1', 'web#10', 'api', 'web', 'web.v2', 'web_x', 'web#2', '0db'];
    assert.deepEqual(names.sort(compareNames), [
      '0db',
      'api',
      'web',
      'web#10',
      'web#2',
      'web-1',
      'web.v2',
      'web2',
      'web_x',
    ]);
    assert.equal(compareNames('web', 'web'), 0);
  });
});
