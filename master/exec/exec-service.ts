/**
 * The Admin `Exec` handler (admin.proto): the caller must be an admin (the auth interceptor refuses viewer
 * and agent certificates: Exec is not a read-only RPC). The first frame must be `start`; its target must
 * name exactly one instance (several are refused, listed). The agent must be connected and offer exec
 * (Hello.exec_available; an older agent sends nothing and is named as such). The execution (kind `exec`)
 * is on disk before the agent is asked; the session then runs on the agent's link stream (exec-relay.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import type { ExecClientFrame__Output } from '../../proto/generated/governor/v1/ExecClientFrame.js';
import type { ExecStart__Output } from '../../proto/generated/governor/v1/ExecStart.js';
import { NotFoundError, UnavailableError, ValidationError, TimeoutError } from '../../shared/errors.js';
import { toServiceError } from '../../shared/grpc-status.js';
import type { Logger } from '../../shared/logger.js';
import { OBSERVED_WHY } from '../../shared/observed.js';
import { instanceTarget } from '../../shared/targets.js';
import { callerIdentity, type HasAuthContext } from '../api/auth.js';
import type { Fleet } from '../fleet/fleet.js';
import { resolveTargets, type TargetInstance } from '../state/targets.js';
import { ExecRelay, type ExecCall } from './exec-relay.js';
import { ExecRouter } from './exec-router.js';

/** How long the master waits for the `start` frame, and for the agent to open the session. */
const START_TIMEOUT_MS = 30_000;
/** params_summary keeps this much of the command line. */
const SUMMARY_MAX = 256;

/** `sh -c 'echo hi'`: the command line as a shell would take it back. */
export function commandLine(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

export function execHandler(fleet: Fleet, router: ExecRouter, logger: Logger) {
  const log = logger.named('exec');
  return (call: ExecCall & HasAuthContext & { metadata?: Metadata }): void => {
    let issuedBy: string;
    try {
      issuedBy = callerIdentity(call).cn;
    } catch (err) {
      call.emit('error', toServiceError(err));
      return;
    }
    const refuse = (err: unknown) => {
      try {
        call.emit('error', toServiceError(err));
      } catch {
        /* call gone */
      }
    };
    const timer = setTimeout(
      () => refuse(new TimeoutError(`no start frame within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    ).unref();
    call.once('data', (f: ExecClientFrame__Output) => {
      clearTimeout(timer);
      call.pause(); // until the relay listens (exec-relay.ts resumes it): no frame is read unheard
      if (f.body !== 'start' || !f.start) {
        refuse(new ValidationError('the first frame of Exec must be start'));
        return;
      }
      start(f.start).catch(refuse);
    });

    async function start(s: ExecStart__Output): Promise<void> {
      if (s.command.length === 0)
        throw new ValidationError('exec needs a command (gov exec TARGET -- CMD [ARGS…])', {
          fields: ['command'],
        });
      if (!s.targets) throw new ValidationError('exec needs a target', { fields: ['targets'] });
      const one = theOneInstance(
        resolveTargets(fleet.registry, s.targets, {
          empty: 'refuse',
          observed: 'refuse',
          heldBack: fleet.heldBackTest(),
          observedWhy: OBSERVED_WHY.exec,
        }).instances,
      );
      const session = fleet.hub.get(one.agent);
      if (!session) throw new UnavailableError(`agent ${one.agent} is not connected`);
      const hello = session.hello;
      if (!hello?.exec_available)
        throw new UnavailableError(
          hello?.exec_unavailable
            ? `agent ${one.agent} refuses exec: ${hello.exec_unavailable}`
            : `agent ${one.agent} runs an older Governor without exec`,
        );
      const line = commandLine(s.command);
      const summary = `${s.tty ? '-t ' : ''}${line}`.slice(0, SUMMARY_MAX);
      const rec = await fleet.executions.beginDurably({
        kind: 'exec',
        handler: one.handler,
        agent: one.agent,
        issued_by: issuedBy,
        params_summary: summary,
      });
      let completed = false;
      const id = randomUUID();
      const relay = new ExecRelay(
        call,
        { agentId: one.agent, send: (frame) => session.exec(frame) },
        {
          session: id,
          executionId: rec.id,
          instance: one.key,
          complete: async (outcome) => {
            if (completed) return;
            completed = true;
            await fleet.executions
              .complete(rec.id, outcome)
              .catch((err: unknown) => log.error('exec record not completed', { execution: rec.id, err }));
          },
        },
        (r) => {
          router.remove(one.agent, r);
          session.off('closed', onAgentGone);
        },
        log,
      );
      const onAgentGone = (reason: string) => relay.agentGone(reason);
      session.once('closed', onAgentGone);
      router.add(one.agent, relay);
      // Its 'closed' may have come while the record was written, before we listened.
      if (session.state === 'closed') return relay.agentGone('while the session was set up');
      relay.open({
        handler: one.handler,
        instance: one.key,
        command: s.command,
        tty: s.tty,
        stdin: s.stdin,
        window: { rows: s.rows, cols: s.cols },
        term: s.term,
        record: s.record,
        issued_by: issuedBy,
      });
      // After the open is sent: the line is no part of the session's round trip.
      log.info('exec session', {
        agent: one.agent,
        instance: one.key,
        issued_by: issuedBy,
        command: summary,
      });
      const opening = setTimeout(() => {
        if (relay.state === 'opening')
          relay.fail(
            new TimeoutError(
              `agent ${one.agent} did not open the exec session within ${START_TIMEOUT_MS} ms`,
            ),
          );
      }, START_TIMEOUT_MS).unref();
      call.once('close', () => clearTimeout(opening));
    }
  };
}

/** The single instance a target names; refused with the candidates listed when it names several. */
function theOneInstance(instances: TargetInstance[]): TargetInstance {
  const [first, ...rest] = instances;
  if (first && rest.length === 0) return first;
  if (!first)
    throw new NotFoundError('the target names no instance (its handler is assigned to no agent)', {
      fields: ['targets'],
    });
  throw new ValidationError(
    `exec runs in one instance, and the target matches ${instances.length}: ` +
      `${instances.map((i) => instanceTarget(i.handler, i.index, i.agent)).join(', ')}; name one of them (or use --agent)`,
    { fields: ['targets'] },
  );
}
