// Original file: proto/governor/v1/agent_link.proto


export interface Welcome {
  /**
   * How often each side sends an application heartbeat, ms.
   */
  'heartbeat_interval_ms'?: (number);
  /**
   * How often the agent samples metrics, ms (it pushes a sample when it changed: AgentMessage.metrics).
   */
  'metrics_interval_ms'?: (number);
  /**
   * The master's clock when it sent the welcome, ms since the epoch: the agent estimates the clock offset
   * from it (and from every heartbeat) to judge command deadlines, which are in the master's clock.
   */
  'sent_at_ms'?: (number | string);
  /**
   * The master's heartbeat grace, ms: past this much silence from the agent the master closes the stream
   * and fails the commands in flight. An agent that has been silent this long (e.g. it was frozen) does
   * not start a command it then reads: the master has given up on the stream it came from.
   */
  'heartbeat_grace_ms'?: (number);
  /**
   * The agent-link protocol the master speaks (see Hello.protocol). An agent drops a link whose welcome
   * speaks another protocol, says so in its log, and dials again later: it never reads commands of a
   * protocol it does not know.
   */
  'protocol'?: (number);
}

export interface Welcome__Output {
  /**
   * How often each side sends an application heartbeat, ms.
   */
  'heartbeat_interval_ms': (number);
  /**
   * How often the agent samples metrics, ms (it pushes a sample when it changed: AgentMessage.metrics).
   */
  'metrics_interval_ms': (number);
  /**
   * The master's clock when it sent the welcome, ms since the epoch: the agent estimates the clock offset
   * from it (and from every heartbeat) to judge command deadlines, which are in the master's clock.
   */
  'sent_at_ms': (number);
  /**
   * The master's heartbeat grace, ms: past this much silence from the agent the master closes the stream
   * and fails the commands in flight. An agent that has been silent this long (e.g. it was frozen) does
   * not start a command it then reads: the master has given up on the stream it came from.
   */
  'heartbeat_grace_ms': (number);
  /**
   * The agent-link protocol the master speaks (see Hello.protocol). An agent drops a link whose welcome
   * speaks another protocol, says so in its log, and dials again later: it never reads commands of a
   * protocol it does not know.
   */
  'protocol': (number);
}
