/** A connected agent session for in-process tests of the master: it answers each command with a script. */
import { EventEmitter } from 'node:events';
import type { AgentCommand } from '../../proto/generated/governor/v1/AgentCommand.js';
import type { CommandResult__Output } from '../../proto/generated/governor/v1/CommandResult.js';

export type Answer = (
  cmd: AgentCommand & { id: string },
) => Promise<Partial<CommandResult__Output>> | Partial<CommandResult__Output>;

/** A connected agent session that answers each command with `answer` (ok by default) and records them. */
export class ScriptedSession extends EventEmitter {
  readonly state = 'connected';
  readonly commands: Array<AgentCommand & { id: string }> = [];
  constructor(
    readonly agentId: string,
    public answer: Answer = () => ({ ok: true, summary: 'ok' }),
  ) {
    super();
  }
  async command(cmd: AgentCommand & { id: string }): Promise<CommandResult__Output> {
    this.commands.push(cmd);
    const r = await this.answer(cmd);
    return {
      command_id: cmd.id,
      ok: false,
      error: null,
      instances: [],
      metrics: null,
      cold_start_ms: 0,
      lines: [],
      summary: '',
      ...r,
    } as CommandResult__Output;
  }
  ack(): void {}
  close(): void {}
}
