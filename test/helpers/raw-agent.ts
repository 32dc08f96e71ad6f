/**
 * A hand-rolled agent stream for tests that play a hostile or scripted agent: it says hello with its
 * certificate, answers every command `ok` (so the master's APPLY pushes complete), keeps the heartbeat
 * going, and lets the test write any message it likes.
 */
import type { AgentCommand__Output } from '../../proto/generated/governor/v1/AgentCommand.js';
import type { AgentMessage } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage__Output } from '../../proto/generated/governor/v1/MasterMessage.js';
import type { InstanceStatus } from '../../proto/generated/governor/v1/InstanceStatus.js';
import type { WireSpec } from '../../shared/spec-wire.js';
import { AGENT_LINK_PROTOCOL, loadProtos } from '../../shared/proto.js';
import { clientConnection } from '../../shared/tls.js';
import type { Cluster } from './cluster.js';
import { waitFor } from './common.js';

export interface RawAgent {
  write(msg: AgentMessage): void;
  /** Ids of the local executions the master acknowledged (MasterMessage local_ack), in order. */
  readonly localAcks: string[];
  /** Resolves once everything written so far was handed to the transport. */
  drain(): Promise<void>;
  close(): void;
}

export async function rawAgent(
  c: Cluster,
  id: string,
  opts: {
    labels?: Record<string, string>;
    instances?: InstanceStatus[];
    /** Hello.specs_hash. */
    specsHash?: string;
    /** Hello.cached_specs: the specs it claims to run. */
    cachedSpecs?: WireSpec[];
    /** Called with every command before it is answered. */
    onCommand?: (cmd: AgentCommand__Output) => void;
  } = {},
): Promise<RawAgent> {
  const conn = clientConnection(c.address, c.pki.material(`agent-${id}`), { separateConnection: true });
  const { link } = loadProtos();
  const client = new link.governor.v1.AgentLink(conn.target, conn.credentials, conn.options);
  const call = client.Connect();
  let welcomed = false;
  let ended = '';
  const localAcks: string[] = [];
  call.on('data', (m: MasterMessage__Output) => {
    if (m.body === 'welcome') welcomed = true;
    if (m.body === 'local_ack' && m.local_ack) localAcks.push(...m.local_ack.ids);
    if (m.body === 'command' && m.command) opts.onCommand?.(m.command);
    if (m.body === 'command' && m.command)
      call.write({ result: { command_id: m.command.id, ok: true, summary: 'ok', instances: [] } });
  });
  call.on('error', (e: Error) => (ended = e.message));
  call.on('end', () => (ended ||= 'ended'));
  const beat = setInterval(() => call.write({ heartbeat: { sent_at_ms: Date.now() } }), 200);
  beat.unref();
  call.write({
    hello: {
      agent_id: id,
      hostname: `raw-${id}`,
      version: '0',
      labels: opts.labels ?? {},
      instances: opts.instances ?? [],
      specs_hash: opts.specsHash ?? '',
      cached_specs: opts.cachedSpecs ?? [],
      protocol: AGENT_LINK_PROTOCOL,
    },
  });
  await waitFor(
    () => {
      if (ended) throw new Error(`raw agent ${id}: stream ended: ${ended}`);
      return welcomed;
    },
    { what: `raw agent ${id} welcomed` },
  );
  await c.waitAgentConnected(id);
  return {
    write: (msg) => call.write(msg),
    localAcks,
    drain: () =>
      new Promise<void>((resolve, reject) => {
        if (ended) return reject(new Error(`raw agent ${id}: stream ended: ${ended}`));
        const timer = setTimeout(
          () => finish(new Error(`raw agent ${id}: writes not flushed in 60 s`)),
          60_000,
        );
        const onEnd = () => finish(new Error(`raw agent ${id}: stream ended: ${ended || 'ended'}`));
        function finish(err?: unknown): void {
          clearTimeout(timer);
          call.off('error', onEnd);
          call.off('end', onEnd);
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else resolve();
        }
        call.once('error', onEnd);
        call.once('end', onEnd);
        call.write({ heartbeat: { sent_at_ms: Date.now() } }, (err?: unknown) => finish(err));
      }),
    close: () => {
      clearInterval(beat);
      call.cancel();
      client.close();
    },
  };
}
