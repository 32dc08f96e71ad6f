/**
 * Sends commands to agents as executions: each command is recorded in the execution log, an offline
 * agent fails fast with a clear error, and the record is durable before the caller gets it.
 *
 * When the master gives up on a command it sent (timeout, disconnect), the record is completed as failed
 * but `unanswered`; the agent's answer, if it comes later, corrects it (`settleLate`). Results are
 * acknowledged to the agent only once their record is on disk, so the agent re-sends what was not.
 */
import type { CommandResult__Output } from '../../proto/generated/governor/v1/CommandResult.js';
import type { ExecutionRecord } from '../../proto/generated/governor/v1/ExecutionRecord.js';
import { GovError, UnavailableError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { commandIdFor, executionIdOf } from './command-id.js';
import type { ExecutionOutcome, LateOutcome } from '../state/execution-log.js';
import type { SessionHub } from './session-hub.js';
import { commandFor, type CommandFields } from './wire.js';

/** The slice of the execution log the dispatcher needs. */
export interface ExecutionSink {
  begin(input: {
    kind: string;
    handler: string;
    agent: string;
    issued_by: string;
    rollout_id?: string;
    params_summary?: string;
  }): { id: string };
  /** `begin`, resolved once the running record is on disk (rejects when it cannot be written). */
  beginDurably(input: Parameters<ExecutionSink['begin']>[0]): Promise<{ id: string }>;
  complete(id: string, outcome: ExecutionOutcome): Promise<ExecutionRecord>;
  completeLate(id: string, agent: string, outcome: ExecutionOutcome): Promise<LateOutcome>;
  get(id: string): ExecutionRecord | undefined;
}

/** The execution outcome an agent's result stands for (one mapping for timely and late answers). */
export function outcomeOf(result: CommandResult__Output): ExecutionOutcome {
  return result.ok
    ? { status: 'success', result: result.summary || 'ok' }
    : {
        status: result.error?.code === 'DEADLINE_EXCEEDED' ? 'timeout' : 'error',
        error: result.error?.message || 'failed',
      };
}

/** A command to send (wire.ts CommandFields) and how to record it as an execution. */
export interface DispatchRequest extends CommandFields {
  /** The kind recorded in the execution log when it differs from the command's (a rollout's UPDATE is `rollout-step`). */
  executionKind?: string;
  agent: string;
  issuedBy: string;
  rolloutId?: string;
  /** The whole timeout; without it, the master's command timeout plus `waitMs`. */
  timeoutMs?: number;
  /**
   * How long the command may wait on the handler itself (its stop_timeout, its start window:
   * shared/handler-waits.ts), on top of the master's command timeout.
   */
  waitMs?: number;
  paramsSummary?: string;
  /**
   * Called with the agent's result before the execution is completed (e.g. to update the registry); the
   * completion waits for it, so what the result reports is visible (and watched) before the execution ends.
   * Must not reject.
   */
  onResult?: (agent: string, result: CommandResult__Output) => void | Promise<void>;
  /**
   * Called once the execution is recorded and before the command is sent, with its ids; the command waits
   * for it (a caller that must find the command again after a crash stores them here).
   */
  onBegun?: (executionId: string, commandId: string) => Promise<void>;
  /**
   * Sends an earlier execution's command again, same command id, no new record (a rollout step a previous
   * master was carrying out): the agent answers a command it already carried out from its cache, without
   * doing it twice. The result completes the earlier record when it was left unanswered.
   */
  redeliver?: { executionId: string; commandId: string };
}

export interface DispatchOutcome {
  record: ExecutionRecord;
  result: CommandResult__Output | null;
}

export class Dispatcher {
  constructor(
    private readonly hub: SessionHub,
    private readonly log: ExecutionSink,
    private readonly defaultTimeoutMs: number,
    private readonly lastSeen: (agent: string) => string | undefined,
    private readonly logger?: Logger,
  ) {}

  async dispatch(req: DispatchRequest): Promise<DispatchOutcome> {
    if (req.redeliver) return this.redeliver(req, req.redeliver);
    const exec = await this.beginRecorded(req);
    const session = this.hub.get(req.agent);
    if (!session) {
      const seen = this.lastSeen(req.agent);
      const record = await this.log.complete(exec.id, {
        status: 'error',
        error: `agent ${req.agent} is not connected${seen ? ` (last seen ${seen})` : ' (never seen)'}; the command was not sent`,
      });
      return { record, result: null };
    }
    const commandId = commandIdFor(exec.id);
    await req.onBegun?.(exec.id, commandId);
    let result: CommandResult__Output;
    try {
      result = await session.command(commandFor(commandId, req), this.timeoutOf(req), {
        ackByCaller: true,
      });
    } catch (err) {
      const timeout = err instanceof GovError && err.kind === 'DEADLINE_EXCEEDED';
      const record = await this.log.complete(exec.id, {
        status: timeout ? 'timeout' : 'error',
        error: errorMessage(err),
        unanswered: true,
      });
      return { record, result: null };
    }
    await req.onResult?.(req.agent, result);
    // Acknowledged only once recorded: a result whose record failed to be written is sent again.
    const record = await this.completeCarriedOut(req, exec.id, outcomeOf(result));
    session.ack([commandId]);
    return { record, result };
  }

  /** The timeout of one command: its own, or the command timeout plus what it may wait on its handler. */
  private timeoutOf(req: Pick<DispatchRequest, 'timeoutMs' | 'waitMs'>): number {
    return req.timeoutMs ?? this.defaultTimeoutMs + (req.waitMs ?? 0);
  }

  /**
   * A result `agent` sent for no pending command: the master gave up on it (or the agent re-sends it after
   * a reconnect). Corrects the execution's record when it was left unanswered, then acknowledges the
   * result (also when there was nothing to correct); a result that could not be recorded is not
   * acknowledged, so the agent sends it again.
   */
  async settleLate(
    agent: string,
    result: CommandResult__Output,
    ack: (commandIds: string[]) => void,
  ): Promise<void> {
    const executionId = executionIdOf(result.command_id);
    try {
      if (executionId) {
        const done = await this.log.completeLate(executionId, agent, outcomeOf(result));
        if ('corrected' in done) {
          const r = done.corrected;
          this.logger?.warn('execution corrected by a late answer from its agent', {
            execution: r.id,
            agent,
            status: r.status,
            gave_up: r.note,
          });
        } else {
          this.logger?.debug('late result ignored', { agent, command: result.command_id, why: done.ignored });
        }
      }
    } catch (err) {
      this.logger?.error('late result not recorded', {
        agent,
        command: result.command_id,
        err,
      });
      return;
    }
    ack([result.command_id]);
  }
  /** `req.redeliver`: the same command again; its earlier record is completed (if still unanswered). */
  private async redeliver(
    req: DispatchRequest,
    ids: { executionId: string; commandId: string },
  ): Promise<DispatchOutcome> {
    const id = ids.executionId;
    const earlier = (): ExecutionRecord =>
      this.log.get(id) ?? {
        id,
        status: 'error',
        error: 'its execution record left the log',
        agent: req.agent,
      };
    const session = this.hub.get(req.agent);
    if (!session) {
      const error = `agent ${req.agent} is not connected; the command was not sent again`;
      return { record: { ...earlier(), status: 'error', error }, result: null };
    }
    let result: CommandResult__Output;
    try {
      result = await session.command(commandFor(ids.commandId, req), this.timeoutOf(req), {
        ackByCaller: true,
      });
    } catch (err) {
      const timeout = err instanceof GovError && err.kind === 'DEADLINE_EXCEEDED';
      return {
        record: { ...earlier(), status: timeout ? 'timeout' : 'error', error: errorMessage(err) },
        result: null,
      };
    }
    await req.onResult?.(req.agent, result);
    const outcome = outcomeOf(result);
    const done = await this.log.completeLate(id, req.agent, outcome);
    session.ack([ids.commandId]);
    const record = 'corrected' in done ? done.corrected : earlier();
    // The agent's answer is the truth of this step, whatever the record said before it came.
    return { record: { ...record, status: outcome.status, error: outcome.error ?? '' }, result };
  }

  // ---- records written before a command is sent, and the truth when the final one cannot be ----

  /** The `running` record, on disk before anything is sent: a command that cannot be recorded is not sent. */
  private async beginRecorded(req: DispatchRequest): Promise<{ id: string }> {
    try {
      return await this.log.beginDurably({
        kind: req.executionKind ?? req.kind.toLowerCase(),
        handler: req.handler,
        agent: req.agent,
        issued_by: req.issuedBy,
        ...(req.rolloutId ? { rollout_id: req.rolloutId } : {}),
        params_summary: req.paramsSummary ?? '',
      });
    } catch (err) {
      throw new UnavailableError(
        `${describe(req)} was not sent to agent ${req.agent}: its execution record could not be written ` +
          `(${errorMessage(err)}); nothing was done`,
        { cause: err },
      );
    }
  }

  /** Completes the record of a command the agent answered; if that write fails, says what the agent did. */
  private async completeCarriedOut(
    req: DispatchRequest,
    id: string,
    outcome: Parameters<ExecutionSink['complete']>[1],
  ): Promise<ExecutionRecord> {
    try {
      return await this.log.complete(id, outcome);
    } catch (err) {
      const did = outcome.status === 'success' ? 'carried out' : `answered ${outcome.status}`;
      throw new UnavailableError(
        `${describe(req)} was ${did} by agent ${req.agent}, but its execution record (${id}) could not ` +
          `be written (${errorMessage(err)}); it is recorded with the next write that succeeds`,
        { cause: err },
      );
    }
  }
}

/** `restart of web@edge-1` / `apply on edge-1`. */
function describe(req: DispatchRequest): string {
  const kind = req.executionKind ?? req.kind.toLowerCase();
  const target = req.instance || req.handler;
  return target ? `${kind} of ${target}@${req.agent}` : `${kind} on ${req.agent}`;
}
