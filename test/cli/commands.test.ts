/** Admin commands against a fake AdminApi: JSON documents, human tables, exit codes, validation first. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { logsCommand, newLines } from '../../master/cli/logs.js';
import { psCommand } from '../../master/cli/ps.js';
import type { InstanceInfo } from '../../master/cli/admin-client.js';
import { GovError } from '../../shared/errors.js';
import { parseHandlersFile } from '../../shared/spec.js';
import { tempDir } from '../helpers/common.js';
import {
  FakeAdmin,
  NOW,
  agent,
  STATS,
  captureIO,
  execution,
  instance,
  outcome,
  runGov as gov,
  targetSet,
} from './fake-admin.js';

/** stdout must be exactly one JSON document. */
function oneJson(stdout: string): Record<string, unknown> {
  const doc: unknown = JSON.parse(stdout);
  assert.equal(typeof doc, 'object');
  assert.ok(doc && !Array.isArray(doc));
  return doc as Record<string, unknown>;
}

function keysOf(item: unknown): string[] {
  return Object.keys(item as object);
}

describe('what agents report reaches an operator terminal as text, never as terminal control', () => {
  // A window-title OSC, a screen clear, a colour, a carriage return: what a hostile agent might report.
  const EVIL = 'x\u001b]0;pwned\u0007\u001b[2J\u001b[31m\rfake';
  // eslint-disable-next-line no-control-regex
  const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
  const hostile = (): InstanceInfo => {
    const i = instance();
    return { ...i, status: { ...i.status!, state: `running${EVIL}` } };
  };
  const fake = () =>
    new FakeAdmin({
      listAgents: async () => ({
        agents: [agent({ hostname: `h${EVIL}`, version: EVIL, labels: { region: EVIL } })],
      }),
      listInstances: async () => ({ instances: [hostile()] }),
      control: async () => ({
        executions: [execution({ kind: 'restart', status: 'error', error: `failed${EVIL}\nsecond line` })],
        instances: [hostile()],
        outcomes: [outcome({ ok: false, error: `failed${EVIL}` })],
      }),
    });

  for (const argv of [['agents'], ['ps'], ['restart', 'web']])
    it(`gov ${argv.join(' ')}: no control character but newlines in its output`, async () => {
      const { io } = await gov(argv, fake());
      for (const [name, text] of [
        ['stdout', io.stdout],
        ['stderr', io.stderr],
      ] as const) {
        assert.doesNotMatch(text, CONTROL, `${name}: ${JSON.stringify(text)}`);
      }
      assert.match(io.stdout + io.stderr, /pwned/, 'the text itself is shown');
    });
});

describe('gov admin commands (fake master)', () => {
  describe('--json prints one document with the DESIGN §6 shape', () => {
    it('agents', async () => {
      const { code, io } = await gov(['agents', '--json']);
      assert.equal(code, 0, io.stderr);
      const doc = oneJson(io.stdout);
      assert.deepEqual(Object.keys(doc), ['agents']);
      const agents = doc.agents as Array<Record<string, unknown>>;
      assert.equal(agents.length, 2);
      for (const k of ['id', 'connected', 'hostname', 'labels', 'last_seen'])
        assert.ok(keysOf(agents[0]).includes(k), k);
      assert.deepEqual(agents[0]?.labels, { region: 'west' });
      assert.equal(agents[1]?.connected, false);
    });

    it('ps: InstanceInfo.status flattened, pid null when not running', async () => {
      const fake = new FakeAdmin();
      const { code, io } = await gov(['ps', 'web', '--agent', 'edge-1', '--json'], fake);
      assert.equal(code, 0, io.stderr);
      assert.deepEqual(fake.calls, [
        ['listInstances', { targets: targetSet({ names: ['web'], agents: ['edge-1'] }) }],
      ]);
      const items = oneJson(io.stdout).instances as Array<Record<string, unknown>>;
      for (const k of [
        'handler',
        'agent',
        'state',
        'pid',
        'restarts',
        'mode',
        'last_exit',
        'stale',
        'health',
        'temperature',
      ])
        assert.ok(keysOf(items[0]).includes(k), k);
      assert.deepEqual(
        { handler: items[0]?.handler, agent: items[0]?.agent, state: items[0]?.state, pid: items[0]?.pid },
        { handler: 'web', agent: 'edge-1', state: 'running', pid: 4321 },
      );
      assert.deepEqual(items[0]?.last_exit, { code: 1, signal: '', at: '2025-01-01T11:58:00.000Z' });
      assert.equal(items[1]?.pid, null);
      assert.equal(items[1]?.stale, true);
    });

    it('ps: last_exit is null when there was none', async () => {
      const noExit = instance();
      if (noExit.status) noExit.status.last_exit = null;
      const fake = new FakeAdmin({ listInstances: async () => ({ instances: [noExit] }) });
      const { io } = await gov(['ps', '--json'], fake);
      const items = oneJson(io.stdout).instances as Array<Record<string, unknown>>;
      assert.equal(items[0]?.last_exit, null);
    });

    it('executions --kind takes every kind the master records (adopt, labels, rollback and sync too)', async () => {
      for (const kind of ['adopt', 'labels', 'rollback', 'sync', 'apply', 'rollout-step', 'revoke']) {
        const fake = new FakeAdmin();
        const { code, io } = await gov(['executions', '--kind', kind, '--json'], fake);
        assert.equal(code, 0, `--kind ${kind}: ${io.stderr}`);
        assert.equal((fake.calls[0]![1] as { kind: string }).kind, kind);
      }
    });

    it('executions: count + records, filters passed through', async () => {
      const fake = new FakeAdmin();
      const argv = ['executions', '--handler', 'web', '--agent', 'edge-1', '--kind', 'restart'];
      const { code, io } = await gov(
        [...argv, '--status', 'error', '--since', '10m', '--limit', '5', '--json'],
        fake,
      );
      assert.equal(code, 0, io.stderr);
      assert.deepEqual(fake.calls, [
        [
          'listExecutions',
          { handler: 'web', agent: 'edge-1', kind: 'restart', status: 'error', since: '10m', limit: 5 },
        ],
      ]);
      const doc = oneJson(io.stdout);
      assert.deepEqual(Object.keys(doc), ['count', 'records']);
      assert.equal(doc.count, 2);
      const rec = (doc.records as Array<Record<string, unknown>>)[0];
      for (const k of [
        'id',
        'kind',
        'handler',
        'agent',
        'issued_by',
        'rollout_id',
        'started_at',
        'completed_at',
      ]) {
        assert.ok(keysOf(rec).includes(k), k);
      }
      for (const k of [
        'duration_ms',
        'status',
        'result',
        'error',
        'attempt',
        'max_attempts',
        'params_summary',
      ]) {
        assert.ok(keysOf(rec).includes(k), k);
      }
    });

    it('executions --since accepts an ISO time', async () => {
      const fake = new FakeAdmin();
      const { code } = await gov(['executions', '--since', '2025-01-01T00:00:00Z', '--json'], fake);
      assert.equal(code, 0);
      assert.deepEqual(fake.calls[0], ['listExecutions', { since: '2025-01-01T00:00:00Z' }]);
    });

    it('stats: the stats object itself', async () => {
      const { code, io } = await gov(['stats', '--json']);
      assert.equal(code, 0);
      const doc = oneJson(io.stdout);
      assert.deepEqual(doc, STATS);
      assert.deepEqual(Object.keys(doc), [
        'total_executions',
        'lifetime_executions',
        'success_count',
        'error_count',
        'success_rate',
        'avg_duration_ms',
        'by_handler',
        'by_agent',
        'buffer_size',
        'buffer_utilization',
      ]);
    });

    it('metrics: instances (handler, agent, cpu_percent, memory_bytes), agents, governor', async () => {
      const fake = new FakeAdmin();
      const { code, io } = await gov(['metrics', 'web', '--json'], fake);
      assert.equal(code, 0);
      assert.deepEqual(fake.calls, [['getMetrics', { targets: targetSet({ names: ['web'] }) }]]);
      const doc = oneJson(io.stdout);
      assert.deepEqual(Object.keys(doc), ['instances', 'agents', 'governor']);
      const i = (doc.instances as Array<Record<string, unknown>>)[0];
      assert.equal(i?.handler, 'web');
      assert.equal(i?.agent, 'edge-1');
      assert.equal(i?.cpu_percent, 12.5);
      assert.equal(i?.memory_bytes, 50 * 1024 * 1024);
      assert.equal((doc.governor as Record<string, unknown>).resource_mode, 'always-on');
    });

    it('logs: one document with the lines', async () => {
      const fake = new FakeAdmin();
      const { code, io } = await gov(
        ['logs', 'web', '--agent', 'edge-1', '--tail', '10', '--stderr', '--json'],
        fake,
      );
      assert.equal(code, 0);
      assert.deepEqual(fake.calls, [
        [
          'tailLogs',
          { targets: targetSet({ names: ['web'], agents: ['edge-1'] }), stream: 'stderr', tail: 10 },
        ],
      ]);
      assert.deepEqual(oneJson(io.stdout).lines, ['line 1', 'line 2']);
    });
  });

  describe('human output', () => {
    it('ps: aligned table with uptime, last exit and the stale marker', async () => {
      const fake = new FakeAdmin();
      const io = captureIO();
      const code = await psCommand(fake.connect, () => NOW).run([], io);
      assert.equal(code, 0);
      const lines = io.stdout.trimEnd().split('\n');
      assert.match(
        lines[0] ?? '',
        /^HANDLER\s+AGENT\s+STATE\s+PID\s+RESTARTS\s+UPTIME\s+LAST EXIT\s+HEALTH$/,
      );
      assert.match(lines[1] ?? '', /^web\s+edge-1\s+running\s+4321\s+2\s+5m\s+code 1 2m ago\s+healthy$/);
      assert.match(lines[2] ?? '', /^web\s+edge-2\s+stopped\*\s+-/);
      assert.match(io.stdout, /\* stale: the agent is disconnected/);
      assert.equal(lines[0]?.indexOf('STATE'), lines[1]?.indexOf('running'));
    });

    it('ps: on-demand instances add IDLE FOR and COOLS IN (aged since reported_at; busy: the reason), aligned', async () => {
      const onDemand = (agent: string, status: Record<string, unknown>) => {
        const i = instance({ agent });
        return { ...i, status: { ...i.status!, mode: 'on-demand', temperature: 'hot', ...status } };
      };
      const fake = new FakeAdmin({
        listInstances: async () => ({
          instances: [
            // Reported 1s before NOW: idle 1m4s then, so idle 1m5s now; cools in 4m55s then, 4m54s now.
            onDemand('edge-1', { idle_ms: 64_000, cools_in_ms: 295_000 }),
            onDemand('edge-2', { idle_ms: 0, cools_in_ms: -1, busy_reason: '2 connections on :8080' }),
            { ...instance({ agent: 'edge-3', state: 'stopped', pid: 0 }) },
          ],
        }),
      });
      const io = captureIO();
      assert.equal(await psCommand(fake.connect, () => NOW).run([], io), 0);
      const lines = io.stdout.split('\n');
      assert.match(
        lines[0] ?? '',
        /^HANDLER\s+AGENT\s+STATE\s+PID\s+RESTARTS\s+UPTIME\s+IDLE FOR\s+COOLS IN\s+LAST EXIT\s+HEALTH$/,
      );
      assert.match(lines[1] ?? '', /^web\s+edge-1\s+running \(hot\)\s+4321\s+2\s+5m\s+1m5s\s+4m54s\s+code 1/);
      assert.match(
        lines[2] ?? '',
        /^web\s+edge-2\s+running \(hot\)\s+4321\s+2\s+5m\s+busy: 2 connections on :8080\s+-\s+code/,
      );
      assert.match(lines[3] ?? '', /^web\s+edge-3\s+stopped\s+-\s+2\s+-\s+-\s+-\s+code/);
      for (const col of ['IDLE FOR', 'COOLS IN', 'LAST EXIT'])
        assert.equal(lines[1]?.slice(lines[0]!.indexOf(col)).search(/\S/), 0, `${col} aligned`);
      assert.ok(io.stdout.endsWith('\n'));

      const json = captureIO();
      await psCommand(fake.connect, () => NOW).run(['--json'], json);
      const items = (JSON.parse(json.stdout) as { instances: Array<Record<string, unknown>> }).instances;
      assert.deepEqual(
        items.map((i) => [i.idle_ms, i.cools_in_ms, i.busy_reason, i.lease_until]),
        [
          [64_000, 295_000, null, null],
          [0, -1, '2 connections on :8080', null],
          [0, 0, null, null],
        ],
      );
    });

    it('agents, executions and stats tables', async () => {
      let r = await gov(['agents']);
      assert.match(r.io.stdout, /edge-1\s+connected\s+edge-1\.local/);
      assert.match(r.io.stdout, /edge-2\s+disconnected/);
      r = await gov(['executions']);
      assert.match(
        r.io.stdout,
        /ex-0\s+restart\s+web\s+edge-1\s+error\s+120ms.*agent edge-1 is disconnected/,
      );
      r = await gov(['stats']);
      assert.match(r.io.stdout, /success rate: 75\.0%/);
      assert.match(r.io.stdout, /web\s+4\s+3\s+1\s+75\.0%\s+200ms/);
      r = await gov(['metrics']);
      assert.match(r.io.stdout, /web\s+edge-1\s+running\s+4321\s+12\.5%\s+50\.0 MiB\s+5m/);
    });
  });

  describe('mutating commands', () => {
    it('restart prints each instance with its new PID; --json has executions, instances and outcomes', async () => {
      const fake = new FakeAdmin();
      let r = await gov(['restart', 'web'], fake);
      assert.equal(r.code, 0, r.io.stderr);
      assert.deepEqual(fake.calls[0], ['control', 'restart', targetSet({ names: ['web'] }), undefined]);
      assert.equal(r.io.stdout, 'web@edge-1: running, pid 5555\n');
      r = await gov(['stop', 'web', '--agent', 'edge-2', '--json']);
      assert.deepEqual(r.fake.calls[0], [
        'control',
        'stop',
        targetSet({ names: ['web'], agents: ['edge-2'] }),
        undefined,
      ]);
      const doc = oneJson(r.io.stdout);
      assert.equal((doc.executions as unknown[]).length, 1);
      assert.equal((doc.instances as Array<Record<string, unknown>>)[0]?.pid, 5555);
      assert.deepEqual(doc.outcomes, [
        {
          handler: 'web',
          agent: 'edge-1',
          instance: 'web',
          key: 'web@edge-1',
          ok: true,
          error: null,
          execution_id: 'ex-1',
          state: 'running',
          pid: 5555,
        },
      ]);
      assert.equal(fake.closed, 1, 'the client is closed after the call');
    });

    it('an execution with status error or timeout exits 1 with its error', async () => {
      for (const status of ['error', 'timeout']) {
        const failed = execution({ status, error: 'agent edge-1 is disconnected (last seen 30s ago)' });
        const fake = new FakeAdmin({
          control: async () => ({
            executions: [failed],
            instances: [],
            outcomes: [outcome({ ok: false, error: failed.error })],
          }),
        });
        for (const json of [false, true]) {
          const { code, io } = await gov(['start', 'web', ...(json ? ['--json'] : [])], fake);
          assert.equal(code, 1, `${status} json=${json}`);
          assert.match(io.stderr, /agent edge-1 is disconnected \(last seen 30s ago\)/);
          if (json) oneJson(io.stdout);
        }
      }
    });

    it('apply sends the file text and name after validating it', async () => {
      const dir = tempDir();
      const file = path.join(dir, 'handlers.yaml');
      const yaml = 'handlers:\n  - name: web\n    agents: [edge-1]\n    command: [node, server.js]\n';
      writeFileSync(file, yaml);
      const fake = new FakeAdmin();
      const { code, io } = await gov(['apply', '-f', 'handlers.yaml'], fake, { cwd: dir });
      assert.equal(code, 0, io.stderr);
      assert.deepEqual(fake.calls, [['apply', yaml, 'handlers.yaml']]);
      assert.match(io.stdout, /handler web: created \(version 1\) → edge-1/);
      assert.match(io.stdout, /apply web@edge-1: success/);
    });

    it('apply of an invalid file exits 1 with `file: key: reason` and sends nothing', async () => {
      const dir = tempDir();
      const yaml =
        'handlers:\n  - name: web\n    command: [node, server.js]\n    restart: sometimes\n    bogus: 1\n';
      writeFileSync(path.join(dir, 'bad.yaml'), yaml);
      let expected = '';
      try {
        parseHandlersFile(yaml, 'bad.yaml');
      } catch (err) {
        expected = (err as Error).message;
      }
      assert.match(expected, /^bad\.yaml: handlers\[0\]/);
      const fake = new FakeAdmin();
      const { code, io } = await gov(['apply', '-f', 'bad.yaml'], fake, { cwd: dir });
      assert.equal(code, 1);
      assert.equal(io.stderr, `error: ${expected}\n`);
      assert.deepEqual(fake.calls, []);
      assert.deepEqual(fake.connections, [], 'nothing connected');
    });

    it('apply -f given twice is a usage error (exit 2): commander kept the last file, the other was left out without a word', async () => {
      const fake = new FakeAdmin();
      const { code, io } = await gov(['apply', '-f', 'a.yaml', '-f', 'b.yaml'], fake, { cwd: tempDir() });
      assert.equal(code, 2);
      assert.match(io.stderr, /one handlers file per apply \(a\.yaml was given too\)/);
      assert.deepEqual(fake.calls, []);
    });

    it('apply of a missing file exits 1 naming it', async () => {
      const fake = new FakeAdmin();
      const { code, io } = await gov(['apply', '-f', 'nope.yaml'], fake, { cwd: tempDir() });
      assert.equal(code, 1);
      assert.match(io.stderr, /cannot read nope\.yaml: no such file/);
      assert.deepEqual(fake.calls, []);
    });

    it('delete, agents revoke and executions clear call their RPCs', async () => {
      let r = await gov(['delete', 'web']);
      assert.equal(r.code, 0);
      assert.deepEqual(r.fake.calls, [['deleteHandler', targetSet({ names: ['web'] })]]);
      assert.match(r.io.stdout, /handler web deleted/);
      r = await gov(['agents', 'revoke', 'edge-2', '--json']);
      assert.equal(r.code, 0);
      assert.deepEqual(r.fake.calls, [['revokeAgent', 'edge-2']]);
      assert.equal((oneJson(r.io.stdout).agent as Record<string, unknown>).revoked, true);
      r = await gov(['agents', 'revoke', 'edge-8', '--unseen']);
      assert.equal(r.code, 0);
      assert.deepEqual(r.fake.calls, [['revokeAgent', 'edge-8', { unseen: true }]]);
      r = await gov(['agents', 'unrevoke', 'edge-2']);
      assert.equal(r.code, 0);
      assert.deepEqual(r.fake.calls, [['unrevokeAgent', 'edge-2']]);
      assert.equal(r.io.stdout, 'agent edge-2 is not revoked: its certificate is accepted\n');
      r = await gov(['executions', 'clear', '--json']);
      assert.equal(r.code, 0);
      assert.deepEqual(r.fake.calls, [['clearExecutions']]);
      assert.deepEqual(oneJson(r.io.stdout), { cleared: 4 });
    });
  });

  describe('usage errors exit 2 before anything connects', () => {
    const cases: string[][] = [
      ['ps', '--bogus'],
      ['ps', 'web', '--all'],
      ['ps', '--selector', 'tier'],
      ['restart', 'web', '--selector', '=x'],
      ['restart', 'web@edge-1', '--agent', 'edge-2'],
      ['signal', 'HUP'],
      ['signal', 'BOGUS', 'web'],
      ['signal', '9', 'web'],
      ['signal'],
      ['delete', 'web@edge-1'],
      ['delete', 'web#1'],
      ['delete', 'web', '--agent', 'edge-1'],
      ['logs'],
      ['start'],
      ['restart', 'Web!'],
      ['ensure', 'web', '--agent', ''],
      ['executions', '--limit', '0'],
      ['executions', '--limit', 'ten'],
      ['executions', '--status', 'meh'],
      ['executions', '--kind', 'reboot'],
      ['executions', '--since', 'yesterday'],
      ['executions', 'clear', '--handler', 'web'],
      ['executions', 'frobnicate'],
      ['logs', 'web', '--agent', 'edge-1', '--tail', '-3'],
      ['logs', 'web', '--agent', 'edge-1', '-f', '--json'],
      ['apply'],
      ['apply', '-f', 'x.yaml', 'extra'],
      ['agents', 'revoke'],
      ['agents', 'frobnicate'],
      ['delete'],
      ['stats', 'extra'],
      ['ps', '--master', 'nohostport'],
      ['ps', '--master', 'host:99999'],
      ['ps', '--timeout', 'soon'],
      ['metrics', '--json=yes'],
    ];
    for (const argv of cases) {
      it(`gov ${argv.join(' ')}`, async () => {
        const { code, io, fake } = await gov(argv);
        assert.equal(code, 2, io.stderr);
        assert.match(io.stderr, /^error: [\s\S]+\nusage: gov /);
        assert.equal(io.stdout, '');
        assert.deepEqual(fake.calls, []);
        assert.deepEqual(fake.connections, []);
      });
    }
  });

  describe('connection and failures', () => {
    it('flags beat env, env beats the defaults under <cwd>/certs', async () => {
      let r = await gov(['ps'], new FakeAdmin(), { cwd: '/srv/gov' });
      const d = r.fake.connections[0];
      assert.deepEqual(
        [d?.master, d?.caPath, d?.certPath, d?.keyPath, d?.timeoutMs],
        [
          '127.0.0.1:7070',
          '/srv/gov/certs/ca.crt',
          '/srv/gov/certs/admin-admin.crt',
          '/srv/gov/certs/admin-admin.key',
          30_000,
        ],
      );
      const env = {
        GOV_MASTER: 'm1:7000',
        GOV_CA: '/pki/ca.pem',
        GOV_CERT: 'c.pem',
        GOV_KEY: 'k.pem',
        GOV_TIMEOUT: '5s',
      };
      r = await gov(['ps'], new FakeAdmin(), { cwd: '/srv/gov', env });
      const e = r.fake.connections[0];
      assert.deepEqual(
        [e?.master, e?.caPath, e?.certPath, e?.keyPath, e?.timeoutMs],
        ['m1:7000', '/pki/ca.pem', '/srv/gov/c.pem', '/srv/gov/k.pem', 5000],
      );
      r = await gov(['ps', '--master', 'm2:7070', '--cert', '/x/a.crt', '--timeout', '1m'], new FakeAdmin(), {
        env,
      });
      const f = r.fake.connections[0];
      assert.deepEqual([f?.master, f?.certPath, f?.timeoutMs], ['m2:7070', '/x/a.crt', 60_000]);
    });

    it('an RPC failure exits 1 with its message and still closes the client', async () => {
      const msg = 'cannot reach master at 127.0.0.1:7070: connection refused — is `gov master` running?';
      const fake = new FakeAdmin({
        listInstances: async () => {
          throw new GovError('UNAVAILABLE', msg);
        },
      });
      const { code, io } = await gov(['ps', '--json'], fake);
      assert.equal(code, 1);
      assert.equal(io.stderr, `error: ${msg}\n`);
      assert.equal(io.stdout, '');
      assert.equal(fake.closed, 1);
    });
  });

  describe('logs -f', () => {
    it('newLines aligns consecutive windows and reports gaps', () => {
      assert.deepEqual(newLines([], ['a']), { lines: ['a'], gap: false });
      assert.deepEqual(newLines(['a', 'b'], ['a', 'b', 'c']), { lines: ['c'], gap: false });
      assert.deepEqual(newLines(['a', 'b', 'c'], ['b', 'c', 'd']), { lines: ['d'], gap: false });
      assert.deepEqual(newLines(['a', 'b'], ['a', 'b']), { lines: [], gap: false });
      assert.deepEqual(newLines(['a', 'b'], ['x', 'y']), { lines: ['x', 'y'], gap: true });
    });

    it('prints only new lines on each poll until interrupted', async () => {
      let stop!: () => void;
      const interrupted = new Promise<void>((r) => (stop = r));
      const snapshots = [
        ['a', 'b'],
        ['a', 'b', 'c'],
        ['a', 'b', 'c'],
        ['b', 'c', 'd', 'e'],
      ];
      let calls = 0;
      const fake = new FakeAdmin({
        tailLogs: async () => {
          const lines = snapshots[Math.min(calls, snapshots.length - 1)] ?? [];
          if (++calls === snapshots.length) stop();
          return { lines, handler: '', agent: '', instance: '' };
        },
      });
      const io = captureIO({ interrupted });
      const code = await logsCommand(fake.connect, { pollMs: 5 }).run(['web', '--agent', 'edge-1', '-f'], io);
      assert.equal(code, 0, io.stderr);
      assert.equal(io.stdout, 'a\nb\nc\nd\ne\n');
      assert.equal(io.stderr, '');
      assert.equal(calls, snapshots.length);
      assert.equal(fake.closed, 1);
    });
  });
});
