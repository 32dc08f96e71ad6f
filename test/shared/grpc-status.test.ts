/**
 * The one error table (shared/grpc-status.ts), read both ways: every domain error kind leaves a server as
 * one status and comes back to a client as the same kind, message and fields; the CLI ends every failure
 * with exit 1 and only its own usage errors with exit 2.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import {
  EXIT_FAILED,
  EXIT_USAGE,
  GovError,
  NotFoundError,
  PermissionError,
  StateError,
  TimeoutError,
  UnavailableError,
  UsageError,
  ValidationError,
  exitCodeOf,
  type ErrorKind,
} from '../../shared/errors.js';
import {
  ERROR_STATUS,
  FIELDS_METADATA_KEY,
  errorFromInfo,
  errorFromStatus,
  errorKindOf,
  kindOfStatus,
  statusOf,
  toServiceError,
} from '../../shared/grpc-status.js';
import { reportError } from '../../shared/cli-io.js';
import { captureIO } from '../cli/fake-admin.js';

const KINDS = Object.keys(ERROR_STATUS) as ErrorKind[];

describe('one error table, both directions', () => {
  it('each domain error kind travels as its own status, named as grpc-js names it', () => {
    const codes = KINDS.map(statusOf);
    assert.equal(new Set(codes).size, KINDS.length, 'no two kinds share a status');
    for (const kind of KINDS) assert.equal(grpc.status[statusOf(kind)], kind);
  });

  it('a server error comes back to the client as the same kind, message and fields', () => {
    for (const kind of KINDS) {
      const sent = new GovError(kind, `${kind} happened`, { fields: ['agent', 'pid'] });
      const wire = toServiceError(sent);
      assert.equal(wire.code, statusOf(kind));
      assert.equal(wire.details, `${kind} happened`);
      assert.deepEqual(wire.metadata?.get(FIELDS_METADATA_KEY), ['agent,pid']);
      const back = errorFromStatus(Object.assign(new Error(wire.message), wire));
      assert.equal(back.kind, kind);
      assert.equal(back.message, `${kind} happened`);
      assert.deepEqual(back.fields, ['agent', 'pid']);
      assert.equal(kindOfStatus(statusOf(kind)), kind);
    }
  });

  it('the named error classes map through the table', () => {
    const cases: Array<[GovError, grpc.status]> = [
      [new ValidationError('v'), grpc.status.INVALID_ARGUMENT],
      [new NotFoundError('n'), grpc.status.NOT_FOUND],
      [new StateError('s'), grpc.status.FAILED_PRECONDITION],
      [new PermissionError('p'), grpc.status.PERMISSION_DENIED],
      [new UnavailableError('u'), grpc.status.UNAVAILABLE],
      [new TimeoutError('t'), grpc.status.DEADLINE_EXCEEDED],
    ];
    for (const [err, code] of cases) assert.equal(toServiceError(err).code, code, err.name);
  });

  it('anything that is not a domain error is INTERNAL, and carries no fields', () => {
    const wire = toServiceError(new Error('boom'));
    assert.equal(wire.code, grpc.status.INTERNAL);
    assert.deepEqual(wire.metadata?.get(FIELDS_METADATA_KEY), []);
    for (const code of [grpc.status.UNKNOWN, grpc.status.RESOURCE_EXHAUSTED, grpc.status.UNIMPLEMENTED])
      assert.equal(errorFromStatus({ code, details: 'x' }).kind, 'INTERNAL', grpc.status[code]);
    assert.equal(errorFromStatus('not an error').kind, 'INTERNAL');
  });

  it('the agent link carries the kind by name; an unknown name is INTERNAL', () => {
    for (const kind of KINDS) {
      const back = errorFromInfo({ code: errorKindOf(new GovError(kind, 'm')), message: 'm' });
      assert.equal(back.kind, kind);
    }
    assert.equal(errorKindOf(new Error('x')), 'INTERNAL');
    assert.equal(errorFromInfo({ code: 'constructor', message: 'm' }).kind, 'INTERNAL');
    assert.equal(errorFromInfo(null).message, 'unknown error');
  });

  it('the CLI exits 2 for its own usage errors and 1 for every other failure', () => {
    assert.equal(exitCodeOf(new UsageError('bad flag')), EXIT_USAGE);
    for (const kind of KINDS) assert.equal(exitCodeOf(new GovError(kind, 'm')), EXIT_FAILED, kind);
    assert.equal(exitCodeOf(new Error('x')), EXIT_FAILED);
  });

  it("the CLI exits 2 for the master's refusal of TARGET words (NOT_FOUND / INVALID_ARGUMENT naming targets)", () => {
    const targets = { fields: ['targets'] };
    assert.equal(exitCodeOf(new GovError('NOT_FOUND', 'unknown handler "nope"', targets)), EXIT_USAGE);
    assert.equal(
      exitCodeOf(new GovError('INVALID_ARGUMENT', 'the target matches 2 instances', targets)),
      EXIT_USAGE,
    );
    // Carried over the wire: the fields travel with the status.
    assert.equal(
      exitCodeOf(errorFromStatus(toServiceError(new GovError('NOT_FOUND', 'm', targets)))),
      EXIT_USAGE,
    );
    for (const kind of KINDS.filter((k) => k !== 'NOT_FOUND' && k !== 'INVALID_ARGUMENT'))
      assert.equal(exitCodeOf(new GovError(kind, 'm', targets)), EXIT_FAILED, kind);
    assert.equal(exitCodeOf(new GovError('NOT_FOUND', 'm', { fields: ['name'] })), EXIT_FAILED);
  });

  it("the CLI exits 2 for the master's refusal of an agent it has never seen (NOT_FOUND naming agent_id or agent)", () => {
    for (const field of ['agent_id', 'agent']) {
      const unknown = new GovError('NOT_FOUND', 'unknown agent "nope" (known: edge-1)', { fields: [field] });
      assert.equal(exitCodeOf(unknown), EXIT_USAGE, field);
      assert.equal(
        exitCodeOf(errorFromStatus(toServiceError(unknown))),
        EXIT_USAGE,
        `${field} over the wire`,
      );
      // Only NOT_FOUND: a missing or malformed agent field is a failed call, as any other kind.
      for (const kind of KINDS.filter((k) => k !== 'NOT_FOUND'))
        assert.equal(
          exitCodeOf(new GovError(kind, 'm', { fields: [field] })),
          EXIT_FAILED,
          `${kind} ${field}`,
        );
    }
  });

  it('reportError prints the error, and the usage only for a usage error', () => {
    const io = captureIO();
    assert.equal(reportError(new UsageError('missing NAME'), io, 'gov x NAME'), 2);
    assert.equal(reportError(new ValidationError('bad value'), io, 'gov x NAME'), 1);
    assert.equal(io.stderr, 'error: missing NAME\nusage: gov x NAME\nerror: bad value\n');
  });
});
