/**
 * Bad input changes nothing, against a real master: invalid YAML, unknown keys, unknown handlers
 * and agents, and oversize messages each get a clear error (exit 1 with the message from the CLI) and
 * change nothing — spec versions, the execution log and the running handlers stay as they were.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { isAlive } from '../../shared/proc.js';
import { MAX_MESSAGE_BYTES, loadProtos } from '../../shared/proto.js';
import { clientConnection } from '../../shared/tls.js';
import { GovError } from '../../shared/errors.js';
import { Cluster } from '../helpers/cluster.js';
import { fixture } from '../helpers/common.js';

interface Snapshot {
  versions: Record<string, number>;
  lifetime: number;
  total: number;
  pids: Array<[string, number | null, number]>;
}

describe('integration: bad input changes nothing', function () {
  this.slow(15_000);
  let c: Cluster;
  let goodYaml: string;
  let baseline: Snapshot;

  async function snapshot(): Promise<Snapshot> {
    const stats = await c.admin().getStats();
    const pids = ['edge-1', 'edge-2'].flatMap((id) =>
      c
        .localStatus(id)
        .map((s) => [`${s.handler}@${id}`, s.pid, s.restarts] as [string, number | null, number]),
    );
    return {
      versions: await c.specVersions(goodYaml),
      lifetime: stats.lifetime_executions,
      total: stats.total_executions,
      pids: pids.sort(),
    };
  }

  /** Nothing changed since the baseline, and every handler process is still the same live one. */
  async function assertUnchanged(what: string): Promise<void> {
    assert.deepEqual(await snapshot(), baseline, `${what} changed nothing`);
    for (const [name, pid] of baseline.pids) assert.ok(pid && isAlive(pid), `${name} still alive (${what})`);
  }

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1', 'edge-2'] });
    const file = c.writeHandlers([
      {
        name: 'web',
        agents: ['edge-1', 'edge-2'],
        command: [process.execPath, fixture('ticker.mjs')],
        start_seconds: 0,
      },
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances('web', 2, (i) => i.state === 'running' && !!i.pid);
    await c.waitLocal('edge-1', 'web', (s) => s.state === 'running');
    await c.waitLocal('edge-2', 'web', (s) => s.state === 'running');
    goodYaml = readFileSync(file, 'utf8');
    baseline = await snapshot();
    assert.deepEqual(baseline.versions, { web: 1 });
    assert.equal(baseline.pids.length, 2);
  });
  after(async () => {
    await c?.stop();
  });

  /** Runs `gov ARGS` and expects exit `code` (1: the operation failed) with stderr matching `message`. */
  async function refused(args: string[], message: RegExp, code = 1): Promise<void> {
    const r = await c.gov(args);
    assert.equal(r.code, code, `gov ${args.join(' ')}: exit ${code} (got ${r.code}; stderr ${r.stderr})`);
    assert.match(r.stderr, /^error: /m, `gov ${args.join(' ')}: an error line`);
    assert.match(r.stderr, message, `gov ${args.join(' ')}: clear message`);
  }

  /** The admin API call rejects with a GovError of `kind` whose message matches. */
  async function apiRefused(p: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
    await assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof GovError, `a GovError, got ${String(err)}`);
      assert.equal(err.kind, kind, err.message);
      assert.match(err.message, message);
      return true;
    });
  }

  function file(name: string, text: string): string {
    const f = path.join(c.dir, name);
    writeFileSync(f, text);
    return f;
  }

  it('invalid YAML: refused by the CLI and by the master, with file and position', async () => {
    const bad = 'handlers:\n  - name: web\n    command: [node, "x.js"\n';
    await refused(['apply', '-f', file('broken.yaml', bad)], /broken\.yaml: .*invalid YAML/);
    await apiRefused(c.admin().apply(bad, 'broken.yaml'), 'INVALID_ARGUMENT', /broken\.yaml: .*invalid YAML/);
    await assertUnchanged('invalid YAML');
  });

  it('unknown keys: refused with the file, the key and the reason', async () => {
    const bad = goodYaml.replace('"start_seconds"', '"start_secs"');
    assert.notEqual(bad, goodYaml);
    await refused(
      ['apply', '-f', file('typo.yaml', bad)],
      /typo\.yaml: handlers\[0\]\.start_secs: unknown key/,
    );
    await apiRefused(
      c.admin().apply(bad, 'typo.yaml'),
      'INVALID_ARGUMENT',
      /typo\.yaml: handlers\[0\]\.start_secs: unknown key/,
    );
    const root = `${goodYaml}extra: 1\n`;
    await apiRefused(
      c.admin().apply(root, 'root.yaml'),
      'INVALID_ARGUMENT',
      /root\.yaml: .*extra.*unknown key/,
    );
    await assertUnchanged('unknown keys');
  });

  it('an unknown agent in a spec, and a changed spec that names one, are refused as a whole', async () => {
    // A changed `web` (would be version 2) plus an unknown agent: nothing of it may be applied.
    const bad = goodYaml.replace('"agents":["edge-1","edge-2"]', '"agents":["edge-1","nope"]');
    assert.notEqual(bad, goodYaml);
    await refused(['apply', '-f', file('agent.yaml', bad)], /unknown agent "nope".*known: edge-1, edge-2/);
    await assertUnchanged('unknown agent in a spec');
  });

  it('unknown handler (restart, ps, logs) and unknown agent (--agent nope): clear errors, exit 2', async () => {
    const handler = /unknown handler "nope" \(known: web\)/;
    const agent = /unknown agent "nope" \(known: edge-1, edge-2\)/;
    await Promise.all([
      refused(['restart', 'nope'], handler, 2),
      refused(['ps', 'nope'], handler, 2),
      refused(['logs', 'nope', '--agent', 'edge-1'], handler, 2),
      refused(['restart', 'web', '--agent', 'nope'], agent, 2),
      refused(['ps', '--agent', 'nope'], agent, 2),
      refused(['logs', 'web', '--agent', 'nope'], agent, 2),
    ]);
    await apiRefused(c.admin().control('stop', 'nope'), 'NOT_FOUND', handler);
    await apiRefused(c.admin().control('stop', 'web', 'nope'), 'NOT_FOUND', agent);
    await assertUnchanged('unknown handler/agent');
  });

  it('an unknown --agent of attach and detach is a usage error (exit 2) naming it and the known agents; nothing is sent or recorded', async () => {
    const agent = /^error: unknown --agent "nope" \(known: edge-1, edge-2\)$/m;
    await Promise.all([
      refused(['attach', '--agent', 'nope', '--pid', String(process.pid), '--name', 'legacy'], agent, 2),
      refused(['detach', 'legacy', '--agent', 'nope'], agent, 2),
    ]);
    await apiRefused(c.admin().attach('nope', process.pid, 'legacy'), 'NOT_FOUND', /unknown .*"nope"/);
    await assertUnchanged('unknown agent of attach/detach');
  });

  it('an apply over the message size limit: RESOURCE_EXHAUSTED from the CLI and from the master itself', async () => {
    const huge = `${goodYaml}# ${'x'.repeat(MAX_MESSAGE_BYTES + 1024)}\n`;
    // The CLI refuses to send it (its channel has the same limit) and says why.
    await refused(['apply', '-f', file('huge.yaml', huge)], /too large/i);

    // A client without a send limit reaches the master, which refuses it before any handler code runs.
    const conn = clientConnection(c.address, c.pki.material('admin-admin'), { separateConnection: true });
    const { admin } = loadProtos();
    const raw = new admin.governor.v1.Admin(conn.target, conn.credentials, {
      ...conn.options,
      'grpc.max_send_message_length': -1,
    });
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        raw.Apply({ yaml: huge, file_name: 'huge.yaml' }, { deadline: Date.now() + 15_000 }, (e) =>
          resolve(e),
        ),
      );
      assert.equal(err?.code, grpc.status.RESOURCE_EXHAUSTED, `got ${err?.code}: ${err?.details}`);
      assert.match(err.details, /larger than max|message/i);
    } finally {
      raw.close();
    }
    await assertUnchanged('oversize apply');
  });
  it('hostile YAML and values a process cannot take: refused by the CLI and the master, naming the file', async () => {
    const laughs = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    ].join('\n');
    const cases: Array<[string, string, RegExp]> = [
      ['bomb.yaml', laughs, /bomb\.yaml: .*nodes with aliases expanded/],
      [
        'dup.yaml',
        `${goodYaml}handlers: []\n`,
        /dup\.yaml: \(root\): duplicate key "handlers" at line \d+ \(first at line 1\)/,
      ],
      [
        'tag.yaml',
        'handlers:\n  - name: web\n    command: !!js/function "f"\n',
        /tag\.yaml: handlers\[0\]\.command: tag !!js\/function is not allowed/,
      ],
      [
        'env.yaml',
        'handlers:\n  - name: web\n    command: [x]\n    env: {"PATH=/tmp": x}\n',
        /env\.yaml: handlers\[0\]\.env\."PATH=\/tmp": is not an environment variable name/,
      ],
      [
        'timer.yaml',
        'handlers:\n  - name: web\n    command: [x]\n    health: {tcp: 1, interval: 30d}\n',
        /timer\.yaml: handlers\[0\]\.health\.interval: "30d" exceeds the longest timer Node can run/,
      ],
    ];
    for (const [name, text, message] of cases) {
      await refused(['apply', '-f', file(name, text)], message);
      await apiRefused(c.admin().apply(text, name), 'INVALID_ARGUMENT', message);
    }
    await assertUnchanged('hostile YAML');
  });
});
