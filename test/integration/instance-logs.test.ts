/**
 * Every instance's logs are reachable (DESIGN §6 TARGET): with `count: 2`, `gov logs web#1@edge-1`
 * (or `web#1 --agent edge-1`, or `web#1` alone on its only agent) shows the second instance's output and
 * `gov logs web@edge-1` the first's, against a real master and agent; `gov logs web` names both and is
 * refused listing them; an instance key beyond the count is refused by name.
 */
import assert from 'node:assert/strict';
import { Cluster, type LocalInstance } from '../helpers/cluster.js';
import { waitFor } from '../helpers/common.js';

describe('integration: gov logs reaches every instance of a handler', function () {
  this.slow(15_000);
  let c: Cluster;
  let first: LocalInstance;
  let second: LocalInstance;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'] });
    const file = c.writeHandlers([
      {
        name: 'web',
        agents: ['edge-1'],
        count: 2,
        // Each instance says who it is (its pid and its parent's: the status may show either), on
        // stdout and on stderr.
        command: [
          process.execPath,
          '-e',
          'const me = `${process.pid} ${process.ppid}`; console.log(`out ${me}`); console.error(`err ${me}`); setInterval(() => {}, 1000);',
        ],
        start_seconds: 0,
      },
    ]);
    await c.govJson(['apply', '-f', file]);
    first = await c.waitLocal('edge-1', 'web', (s) => s.instance === 'web' && s.state === 'running');
    second = await c.waitLocal('edge-1', 'web', (s) => s.instance === 'web#1' && s.state === 'running');
    assert.notEqual(first.pid, second.pid);
  });
  after(async () => {
    await c?.stop();
  });

  /** A line of `stream` (out | err) written by the instance whose status shows `pid`. */
  const lineOf = (stream: string, pid: number | null): RegExp =>
    new RegExp(`^${stream} (${pid} \\d+|\\d+ ${pid})$`);

  /** `gov logs ARGS --json` once the instance has written its line. */
  async function logs(args: string[], expect: RegExp): Promise<{ lines: string[]; instance?: string }> {
    let last: unknown = null;
    return waitFor(
      async () => {
        const r = await c.govJson<{ lines: string[]; instance?: string }>(['logs', ...args]);
        last = r;
        return r.lines.some((l) => expect.test(l)) ? r : null;
      },
      { what: `gov logs ${args.join(' ')} shows ${String(expect)}`, timeoutMs: 20_000 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last answer ${JSON.stringify(last)}`);
    });
  }

  it('the second instance: web#1@edge-1 and web#1 --agent edge-1, stdout and stderr', async () => {
    const out = await logs(['web#1@edge-1'], lineOf('out', second.pid));
    assert.equal(out.instance, 'web#1');
    assert.ok(!out.lines.some((l) => lineOf('out', first.pid).test(l)), 'only the second instance');
    await logs(['web#1', '--agent', 'edge-1', '--stderr'], lineOf('err', second.pid));
    await logs(['web#1'], lineOf('out', second.pid));
  });

  it('the first instance: web@edge-1; web alone names both and is refused listing them (exit 2)', async () => {
    const out = await logs(['web@edge-1'], lineOf('out', first.pid));
    assert.ok(!out.lines.some((l) => lineOf('out', second.pid).test(l)), 'only the first instance');
    for (const args of [['web'], ['web', '--agent', 'edge-1']]) {
      const r = await c.gov(['logs', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(
        r.stderr,
        'error: the target matches 2 instances: web@edge-1, web#1@edge-1; name one of them\n',
      );
    }
  });

  it('an instance beyond the count, or of another handler, is refused by name', async () => {
    const r = await c.gov(['logs', 'web#2@edge-1']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /target web#2@edge-1: handler web has 2 instance\(s\) per agent \(web, web#1\)/);
    const api = c.admin();
    await assert.rejects(api.tailLogs({ handler: 'web', agent: 'edge-1', instance: 'other#1' }), {
      message: /instance "other#1" is not an instance key of handler web/,
    });
    const bad = await c.gov(['logs', 'web#x@edge-1']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /the replica index after # must be a number/);
  });
});
