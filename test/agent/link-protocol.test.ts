/**
 * The agent's side of the agent-link protocol check: a master of another protocol (another release, which
 * would misread or be misread) is never treated as connected and none of its commands is carried out;
 * the agent keeps dialing, so it connects once a master of its own release is back.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { MasterLink, type LinkHost } from '../../agent/link/master-link.js';
import type { AgentMessage__Output } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage } from '../../proto/generated/governor/v1/MasterMessage.js';
import { Logger } from '../../shared/logger.js';
import { AGENT_LINK_PROTOCOL, loadProtos } from '../../shared/proto.js';
import { waitFor } from '../helpers/common.js';

describe('agent link: a master of another agent-link protocol', () => {
  let server: grpc.Server | null = null;
  let link: MasterLink | null = null;
  after(() => {
    link?.close();
    server?.forceShutdown();
  });

  it('is never taken as connected, none of its commands runs, and the agent dials again', async () => {
    const hellos: Array<{ protocol: number }> = [];
    const executed: string[] = [];
    const logged: string[] = [];
    server = new grpc.Server();
    server.addService(loadProtos().link.governor.v1.AgentLink.service, {
      Connect: (call: grpc.ServerDuplexStream<AgentMessage__Output, MasterMessage>) => {
        call.on('data', (m: AgentMessage__Output) => {
          if (m.body !== 'hello' || !m.hello) return;
          hellos.push({ protocol: m.hello.protocol });
          call.write({
            welcome: {
              heartbeat_interval_ms: 200,
              metrics_interval_ms: 5000,
              sent_at_ms: Date.now(),
              heartbeat_grace_ms: 1000,
              protocol: AGENT_LINK_PROTOCOL + 1,
            },
          });
          call.write({ command: { id: `c${hellos.length}`, kind: 'START', handler: 'web' } });
        });
        call.on('error', () => {});
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const host: LinkHost = {
      inventory: () => ({ hostname: 'test', version: '0', labels: {}, instances: [], specs_hash: '' }),
      execute: (cmd) => {
        executed.push(cmd.id);
        return Promise.resolve({ summary: 'ok' });
      },
      metrics: () => Promise.resolve({ instances: [], host: null }),
    };
    link = new MasterLink(host, {
      agentId: 'edge-1',
      address: `127.0.0.1:${port}`,
      credentials: grpc.credentials.createInsecure(),
      logger: new Logger('test', { level: 'error', sink: { write: (line) => logged.push(line) } }),
      backoffInitialMs: 20,
      backoffMaxMs: 50,
    });
    let connected = false;
    void link.whenConnected().then(() => (connected = true));
    link.start();
    await waitFor(() => hellos.length >= 3, { what: 'the agent to dial again after each refused welcome' });
    assert.equal(connected, false, 'a welcome of another protocol is not a connection');
    assert.deepEqual(executed, [], 'no command of that master ran');
    assert.ok(
      hellos.every((h) => h.protocol === AGENT_LINK_PROTOCOL),
      'the agent says its own protocol',
    );
  });
});
