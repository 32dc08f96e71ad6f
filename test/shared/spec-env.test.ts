/** Per-instance env values: `${index}` and `${index+N}` only, refused otherwise with the key named. */
import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import { expandEnv, parseEnvTemplate } from '../../shared/spec-env.js';
import { parseHandlersFile } from '../../shared/spec.js';

function refusal(value: string): string {
  try {
    parseHandlersFile(
      `handlers:\n  - name: ok\n    command: [x]\n  - name: web\n    command: [x]\n    env: {A: "1", PORT: ${JSON.stringify(value)}}\n`,
      'handlers.yaml',
    );
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return err.message;
  }
  return assert.fail(`${value} was accepted`);
}

describe('env placeholders: ${index} and ${index+N}', () => {
  it('substitutes the instance index, plus N', () => {
    const env = { PORT: '${index+20001}', NAME: 'w-${index}', BOTH: '${index}:${index+1}', PLAIN: 'x' };
    assert.deepEqual(expandEnv(env, 0), { PORT: '20001', NAME: 'w-0', BOTH: '0:1', PLAIN: 'x' });
    assert.deepEqual(expandEnv(env, 49), { PORT: '20050', NAME: 'w-49', BOTH: '49:50', PLAIN: 'x' });
  });

  it('leaves $$, a lone $, $NAME and any ${…} that is not meant as ${index} alone (as earlier versions did)', () => {
    for (const v of [
      '$$',
      'a$',
      '$HOME',
      'cost: 5$',
      '$${index}',
      '$ {index}',
      '${HOME}',
      '${foo}',
      '${}',
      'x${',
    ])
      assert.deepEqual(expandEnv({ V: v }, 3), { V: v }, v);
    assert.deepEqual(expandEnv({ V: '$$$${index}' }, 3), { V: '$$$${index}' });
    assert.deepEqual(expandEnv({ V: '$${index}${index}' }, 3), { V: '$${index}3' });
  });

  it('refuses a near miss of ${index} or ${index+N}, naming the file, the key and the reason; accepts the valid forms', () => {
    for (const bad of [
      '${index-1}',
      '${index+}',
      '${index+-1}',
      '${ index }',
      '${index',
      '${INDEX}',
      '${Index+1}',
      '${indexx}',
      '${index+1234567890}',
    ]) {
      const msg = refusal(bad);
      assert.match(
        msg,
        /^handlers\.yaml: handlers\[1\]\.env\.PORT: \$\{.* is not a placeholder: write \$\{index\} or \$\{index\+N\}/,
        bad,
      );
    }
    assert.match(refusal('${index-1}'), /\$\{index-1\} is not a placeholder/);
    assert.match(refusal('x${index'), /\$\{index \(unclosed\) is not a placeholder/);
    const [, web] = parseHandlersFile(
      'handlers:\n  - name: ok\n    command: [x]\n  - name: web\n    command: [x]\n    env: {PORT: "${index+20001}"}\n',
      'handlers.yaml',
    );
    assert.equal(web?.env.PORT, '${index+20001}', 'kept as written in the spec; substituted per instance');
    assert.ok('parts' in parseEnvTemplate('${index+999999999}'));
  });
});
