/**
 * The rollout update block has one validator: a spec's `update:`, StartRollout's overrides and the
 * `gov rollout restart` flags accept and refuse the same values for the same reasons.
 */
import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import {
  DEFAULT_UPDATE,
  ON_FAILURE,
  checkProgressDeadline,
  checkUpdate,
  compileUpdateFields,
  parseBatchSize,
  refuseField,
  requestedOverrides,
  type UpdateInput,
} from '../../shared/update-policy.js';
import { parseHandlersFile } from '../../shared/spec.js';
import { compileOverrides } from '../../master/rollout/service.js';
import { batchSizeOf } from '../../master/rollout/plan.js';
import type { StartRolloutRequest__Output } from '../../proto/generated/governor/v1/StartRolloutRequest.js';
import { FakeAdmin, runGov } from '../cli/fake-admin.js';

/** The refusal `compileUpdateFields` gives, as `key: reason`. */
function refusal(input: UpdateInput): string {
  try {
    compileUpdateFields(input, refuseField);
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return err.message;
  }
  return assert.fail(`accepted ${JSON.stringify(input)}`);
}

function yamlRefusal(update: string): string {
  try {
    parseHandlersFile(`handlers:\n  - name: web\n    command: [x]\n    update: ${update}\n`, 'h.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  return assert.fail(`accepted ${update}`);
}

function request(over: Partial<StartRolloutRequest__Output>): StartRolloutRequest__Output {
  return {
    handler: 'web',
    batch_size: '',
    min_healthy_time: '',
    healthy_deadline: '',
    progress_deadline: '',
    on_failure: '',
    wait_between: '',
    ...over,
  } as StartRolloutRequest__Output;
}

describe('update block: one validator', () => {
  it('batch size accepts N and N% (normalised) and refuses 0, 0%, 101% and words with one reason', () => {
    assert.deepEqual(parseBatchSize('25%'), { count: 25, percent: true });
    assert.deepEqual(parseBatchSize('3'), { count: 3, percent: false });
    assert.deepEqual(parseBatchSize(' 100% '), { count: 100, percent: true });
    assert.equal(compileUpdateFields({ batch_size: '03' }, refuseField).batch_size, '3');
    assert.equal(compileUpdateFields({ batch_size: 2 }, refuseField).batch_size, '2');
    for (const bad of ['0', '0%', '101%', 'x', '', '-1', '1.5', '5 %', '99999999999999999999']) {
      assert.throws(() => parseBatchSize(bad), {
        name: 'RangeError',
        message: `${JSON.stringify(bad)} must be a count ≥ 1 or a percentage from 1% to 100%`,
      });
      assert.equal(
        refusal({ batch_size: bad }),
        `batch_size: ${JSON.stringify(bad)} must be a count ≥ 1 or a percentage from 1% to 100%`,
      );
    }
  });

  it('the planner sizes batches with the same parser (a refused size is a RangeError there too)', () => {
    assert.equal(batchSizeOf('34%', 6), 3);
    assert.throws(() => batchSizeOf('0', 6), RangeError);
    assert.throws(() => batchSizeOf('101%', 6), RangeError);
  });

  it('on_failure is one of pause | abort | rollback, named once', () => {
    assert.deepEqual([...ON_FAILURE], ['pause', 'abort', 'rollback']);
    for (const p of ON_FAILURE)
      assert.equal(compileUpdateFields({ on_failure: p }, refuseField).on_failure, p);
    assert.equal(
      refusal({ on_failure: 'continue' }),
      'on_failure: "continue" must be one of pause | abort | rollback',
    );
    assert.equal(refusal({ on_failure: 3 }), 'on_failure: 3 must be one of pause | abort | rollback');
  });

  it('durations compile from text or seconds, bounded by the timer limit, and deadlines of 0 are refused', () => {
    assert.deepEqual(
      compileUpdateFields(
        { min_healthy_time: '2s', healthy_deadline: 90, progress_deadline: '1m30s', wait_between: '0' },
        refuseField,
      ),
      {
        min_healthy_time_ms: 2000,
        healthy_deadline_ms: 90_000,
        progress_deadline_ms: 90_000,
        wait_between_ms: 0,
      },
    );
    assert.equal(
      refusal({ min_healthy_time: 'soon' }),
      'min_healthy_time: "soon" is not a duration (use e.g. 500ms, 10s, 5m)',
    );
    assert.match(
      refusal({ wait_between: '30d' }),
      /^wait_between: "30d" exceeds the longest timer Node can run/,
    );
    assert.equal(refusal({ healthy_deadline: '0' }), 'healthy_deadline: must be more than 0');
    assert.equal(refusal({ progress_deadline: 0 }), 'progress_deadline: must be more than 0');
  });

  it('a whole block needs healthy_deadline longer than min_healthy_time', () => {
    const u = { ...DEFAULT_UPDATE, min_healthy_time_ms: 5000, healthy_deadline_ms: 5000 };
    assert.throws(() => checkUpdate(u, refuseField), {
      message: 'healthy_deadline: 5000 ms must be longer than min_healthy_time (5000 ms)',
    });
    assert.equal(checkUpdate(DEFAULT_UPDATE, refuseField), DEFAULT_UPDATE);
  });

  it('a block or rollout asked for now needs progress_deadline longer than min_healthy_time (shorter, no instance could be done)', () => {
    const u = { ...DEFAULT_UPDATE, min_healthy_time_ms: 5000, progress_deadline_ms: 4000 };
    assert.equal(checkUpdate(u, refuseField), u, 'a stored block still loads');
    assert.throws(() => checkProgressDeadline(u, refuseField), {
      message: 'progress_deadline: 4000 ms must be longer than min_healthy_time (5000 ms)',
    });
  });

  it('request overrides: empty strings are not given', () => {
    assert.deepEqual(requestedOverrides({ batch_size: '', on_failure: 'abort', wait_between: '' }), {
      on_failure: 'abort',
    });
  });

  it('the spec, the master and the CLI refuse the same value for the same reason, each naming its key', async () => {
    const reason = '"0%" must be a count ≥ 1 or a percentage from 1% to 100%';
    assert.equal(yamlRefusal('{batch_size: 0%}'), `h.yaml: handlers[0].update.batch_size: ${reason}`);
    assert.throws(() => compileOverrides(request({ batch_size: '0%' })), {
      name: 'ValidationError',
      message: `batch_size: ${reason}`,
    });
    const fake = new FakeAdmin();
    const cli = await runGov(['rollout', 'restart', 'web', '--batch-size', '0%'], fake);
    assert.equal(cli.code, 2);
    assert.ok(cli.io.stderr.includes('--batch-size') && cli.io.stderr.includes(reason), cli.io.stderr);
    const onFailure = '"continue" must be one of pause | abort | rollback';
    const cli2 = await runGov(['rollout', 'restart', 'web', '--on-failure', 'continue'], fake);
    assert.equal(cli2.code, 2);
    assert.ok(cli2.io.stderr.includes('--on-failure') && cli2.io.stderr.includes(onFailure), cli2.io.stderr);
    assert.deepEqual(fake.calls, [], 'nothing sent');
    assert.equal(
      yamlRefusal('{on_failure: continue}'),
      `h.yaml: handlers[0].update.on_failure: ${onFailure}`,
    );
    assert.throws(() => compileOverrides(request({ on_failure: 'continue' })), {
      message: `on_failure: ${onFailure}`,
    });
    // A deadline of 0 is refused in a spec as it is in a request.
    assert.equal(
      yamlRefusal('{progress_deadline: 0s}'),
      'h.yaml: handlers[0].update.progress_deadline: must be more than 0',
    );
    assert.throws(() => compileOverrides(request({ progress_deadline: '0s' })), {
      message: 'progress_deadline: must be more than 0',
    });
  });
});
