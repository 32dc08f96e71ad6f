/**
 * The master's open exec sessions by agent and session id: routes each ExecFrame an agent sends to its
 * relay (a frame for a session that is gone is dropped), and fails an agent's sessions when its link
 * goes away.
 */
import type { ExecFrame__Output } from '../../proto/generated/governor/v1/ExecFrame.js';
import type { ExecRelay } from './exec-relay.js';

export class ExecRouter {
  private readonly byAgent = new Map<string, Map<string, ExecRelay>>();

  add(agentId: string, relay: ExecRelay): void {
    let m = this.byAgent.get(agentId);
    if (!m) this.byAgent.set(agentId, (m = new Map()));
    m.set(relay.session, relay);
  }

  remove(agentId: string, relay: ExecRelay): void {
    const m = this.byAgent.get(agentId);
    if (m?.get(relay.session) === relay) m.delete(relay.session);
    if (m?.size === 0) this.byAgent.delete(agentId);
  }

  /** Open sessions (all agents). */
  get size(): number {
    let n = 0;
    for (const m of this.byAgent.values()) n += m.size;
    return n;
  }

  fromAgent(agentId: string, frame: ExecFrame__Output): void {
    this.byAgent.get(agentId)?.get(frame.session)?.fromAgent(frame);
  }

  agentGone(agentId: string, reason: string): void {
    for (const r of [...(this.byAgent.get(agentId)?.values() ?? [])]) r.agentGone(reason);
  }
}
