/**
 * The agent's PolicyReport on the link (agent_link AgentMessage.policies): sent right after each welcome
 * (every rule's row), on every rule state change with its transitions, and with each metrics push; a
 * transition is handed out once. A fake master (insecure gRPC, port 0) records what the agent sends.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { AgentCommands } from '../../agent/commands.js';
import { ControlLoop } from '../../agent/control/control-loop.js';
import { GovernorAgent } from '../../agent/governor-agent.js';
import { LocalAudit } from '../../agent/local/local-audit.js';
import type { AgentMessage__Output } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage } from '../../proto/generated/governor/v1/MasterMessage.js';
import { Logger } from '../../shared/logger.js';
import { AGENT_LINK_PROTOCOL, loadProtos } from '../../shared/proto.js';
import { waitFor } from '../helpers/common.js';
import { spec, supervisors } from './health-helpers.js';

const quiet = new Logger('agent', { level: 'error', sink: { write: () => {} } });

describe('agent link: the resource policies report', function () {
  this.timeout(60_000);
  const sups = supervisors();
  let server: grpc.Server | null = null;
  let agent: GovernorAgent | null = null;
  let loop: ControlLoop | null = null;
  let audit: LocalAudit | null = null;
  afterEach(async () => {
    agent?.link.close();
    await loop?.stop();
    server?.forceShutdown();
    await sups.close();
    await audit?.close();
  });

  it('goes out after the welcome, on a rule state change with its transitions, and with metrics pushes', async () => {
    const received: Array<{ body: string; msg: AgentMessage__Output }> = [];
    server = new grpc.Server();
    server.addService(loadProtos().link.governor.v1.AgentLink.service, {
      Connect: (call: grpc.ServerDuplexStream<AgentMessage__Output, MasterMessage>) => {
        call.on('data', (m: AgentMessage__Output) => {
          received.push({ body: m.body ?? '', msg: m });
          if (m.body !== 'hello') return;
          call.write({
            welcome: {
              heartbeat_interval_ms: 1000,
              metrics_interval_ms: 200,
              sent_at_ms: Date.now(),
              heartbeat_grace_ms: 5000,
              protocol: AGENT_LINK_PROTOCOL,
            },
          });
        });
        call.on('error', () => {});
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const sup = await sups.make({ metricsIntervalMs: 200 });
    const dataDir = (sup as unknown as { opts: { dataDir: string } }).opts.dataDir;
    audit = await LocalAudit.open(dataDir, quiet);
    const big = {
      name: 'big',
      when: { metric: 'rss' as const, above: 1, for_ms: 0 },
      do: { kind: 'alert' as const },
      cooldown_ms: 0,
      dry_run: false,
    };
    await sup.applySpecs([
      {
        ...spec({ name: 'calm', command: [process.execPath, '-e', 'setInterval(() => {}, 1 << 30)'] }),
        policies: [big],
      },
    ]);
    await waitFor(() => sup.status('calm')[0]?.state === 'running', { what: 'running' });
    loop = new ControlLoop({
      supervisor: sup,
      commands: new AgentCommands(sup, dataDir),
      audit,
      agentRules: [],
      budgetPerMinute: 10,
      controlIntervalMs: 100,
      metricsIntervalMs: 60_000, // the link's metrics pushes drive the samples
      logger: quiet,
      dataDir: null,
    });
    loop.start();
    agent = new GovernorAgent(
      sup,
      {
        agentId: 'edge-1',
        address: `127.0.0.1:${port}`,
        credentials: grpc.credentials.createInsecure(),
        labels: {},
        dataDir,
        audit,
        policies: loop,
      },
      quiet,
    );
    agent.start();
    const policies = () => received.filter((r) => r.body === 'policies').map((r) => r.msg.policies!);
    await waitFor(() => policies().length >= 1, { what: 'the report after the welcome' });
    const first = received.findIndex((r) => r.body === 'policies');
    assert.ok(
      received.slice(0, first).every((r) => r.body !== 'metrics'),
      'the first report follows the welcome, before any metrics push',
    );
    assert.deepEqual(
      policies()[0]!.rules.map((r) => [r.rule, r.handler, r.instance, r.metric, r.state]),
      [['big', 'calm', 'calm', 'rss', 'armed']],
    );
    // The first metrics sample fires the rule: a report with the transition, once.
    await waitFor(() => policies().some((p) => p.transitions.some((t) => t.to === 'firing')), {
      what: 'the firing transition',
    });
    const firing = policies()
      .flatMap((p) => p.transitions)
      .filter((t) => t.to === 'firing');
    assert.equal(firing.length, 1, 'a transition is handed out once');
    assert.equal(firing[0]!.rule, 'big');
    assert.match(firing[0]!.reason, /rss/);
    // Every metrics push is followed by a report.
    await waitFor(() => received.filter((r) => r.body === 'metrics').length >= 2, {
      what: 'two metrics pushes',
    });
    for (let i = 0; i < received.length - 1; i++)
      if (received[i]!.body === 'metrics')
        assert.equal(received[i + 1]!.body, 'policies', `message ${i + 1} after a metrics push`);
    const last = policies().at(-1)!;
    assert.equal(last.rules[0]!.state, 'firing');
    assert.ok((last.counters?.actions ?? 0) >= 1);
  });
});
