/** The set of live agent sessions, one per agent id; a new stream for an id replaces the old one. */
import type { AgentSession, StreamStatus } from './agent-session.js';

export class SessionHub {
  private readonly sessions = new Map<string, AgentSession>();

  /** Registers a session that completed its hello; closes any older session of the same agent. */
  add(session: AgentSession): void {
    const old = this.sessions.get(session.agentId);
    this.sessions.set(session.agentId, session);
    if (old && old !== session) old.close('replaced by a newer connection from the same agent');
    session.once('closed', () => {
      if (this.sessions.get(session.agentId) === session) this.sessions.delete(session.agentId);
    });
  }

  get(agentId: string): AgentSession | undefined {
    const s = this.sessions.get(agentId);
    return s && s.state === 'connected' ? s : undefined;
  }

  isConnected(agentId: string): boolean {
    return this.get(agentId) !== undefined;
  }

  ids(): string[] {
    return [...this.sessions.keys()];
  }

  /** Closes every session: with `status` (its stream ends with that gRPC status), else ends it plainly. */
  closeAll(reason: string, status?: StreamStatus): void {
    for (const s of [...this.sessions.values()]) {
      if (status) s.failWith(reason, status);
      else s.close(reason);
    }
  }
}
