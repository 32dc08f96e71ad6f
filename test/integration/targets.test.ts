/**
 * Many targets per command against a real master and two agents: `gov restart --all`, `--selector`, several
 * names and an instance key each restart exactly what they name (every such PID changes, the others do not)
 * and report every instance's outcome; an unknown name among known ones restarts nothing (exit 2); a target
 * on a disconnected agent fails that instance only (exit 1); `gov logs NAME` needs no --agent when the
 * handler runs once.
 */
import assert from 'node:assert/strict';
import { Cluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/common.js';

interface PsItem {
  key: string;
  handler: string;
  agent: string;
  state: string;
  pid: number | null;
}
interface Outcome {
  key: string;
  ok: boolean;
  error: string | null;
  execution_id: string | null;
  pid: number | null;
}

describe('integration: commands over target sets', function () {
  this.slow(30_000);
  let c: Cluster;

  /** Every running instance's main PID, by key (`web@edge-1`). */
  async function pids(): Promise<Record<string, number>> {
    const { instances } = await c.govJson<{ instances: PsItem[] }>(['ps']);
    return Object.fromEntries(instances.filter((i) => i.pid).map((i) => [i.key, i.pid!]));
  }

  /** Waits until the 5 instances run, each with a PID; returns the PIDs. */
  async function allRunning(): Promise<Record<string, number>> {
    return waitFor(
      async () => {
        const { instances } = await c.govJson<{ instances: PsItem[] }>(['ps']);
        const up = instances.filter((i) => i.state === 'running' && i.pid);
        for (const i of instances) c.trackGroup(i.pid);
        return up.length === 5 ? Object.fromEntries(up.map((i) => [i.key, i.pid!])) : null;
      },
      { what: 'all 5 instances running', timeoutMs: 20_000 },
    );
  }

  /** `gov restart ARGS --json`: its outcomes, after checking exit 0 and that each names its new PID. */
  async function restart(args: string[]): Promise<Outcome[]> {
    const { outcomes } = await c.govJson<{ outcomes: Outcome[] }>(['restart', ...args]);
    for (const o of outcomes) assert.ok(o.ok && o.execution_id, JSON.stringify(o));
    return outcomes;
  }

  /** Asserts exactly `changed` got new PIDs between `before` and `after`; every other PID is the same. */
  function onlyChanged(
    before: Record<string, number>,
    after: Record<string, number>,
    changed: string[],
  ): void {
    for (const key of Object.keys(before)) {
      if (changed.includes(key)) assert.notEqual(after[key], before[key], `${key} restarted: new PID`);
      else assert.equal(after[key], before[key], `${key} untouched`);
    }
  }

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1', 'edge-2'] });
    const run = [process.execPath, '-e', 'console.log(`up ${process.pid}`); setInterval(() => {}, 1000);'];
    const file = c.writeHandlers([
      {
        name: 'web',
        agents: ['edge-1', 'edge-2'],
        labels: { tier: 'front' },
        command: run,
        start_seconds: 0,
      },
      { name: 'api', agents: ['edge-1'], labels: { tier: 'back' }, command: run, start_seconds: 0 },
      { name: 'db', agents: ['edge-2'], labels: { tier: 'back' }, command: run, start_seconds: 0 },
      { name: 'solo', agents: ['edge-2'], command: run, start_seconds: 0 },
    ]);
    await c.govJson(['apply', '-f', file]);
    await allRunning();
  });
  after(async () => {
    await c?.stop();
  });

  it('gov restart --all: one call, every instance restarted with a new PID and its own outcome', async () => {
    const before = await allRunning();
    const outcomes = await restart(['--all']);
    assert.deepEqual(
      outcomes.map((o) => o.key),
      ['api@edge-1', 'db@edge-2', 'solo@edge-2', 'web@edge-1', 'web@edge-2'],
    );
    const after = await allRunning();
    onlyChanged(before, after, Object.keys(before));
    for (const o of outcomes) assert.equal(o.pid, after[o.key], `${o.key}: the answer shows the new PID`);
    const text = await c.gov(['restart', '--all']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^api@edge-1: running, pid \d+\n(.+\n){4}$/);
  });

  it('--selector, several names, and an instance key restart exactly what they name', async () => {
    let before = await allRunning();
    await restart(['--selector', 'tier=back']);
    let after = await allRunning();
    onlyChanged(before, after, ['api@edge-1', 'db@edge-2']);

    before = after;
    await restart(['web', 'solo']);
    after = await allRunning();
    onlyChanged(before, after, ['web@edge-1', 'web@edge-2', 'solo@edge-2']);

    before = after;
    const [one] = await restart(['web@edge-2']);
    assert.equal(one?.key, 'web@edge-2');
    after = await allRunning();
    onlyChanged(before, after, ['web@edge-2']);

    before = after;
    await restart(['--all', '--agent', 'edge-1']);
    after = await allRunning();
    onlyChanged(before, after, ['api@edge-1', 'web@edge-1']);
  });

  it('an unknown name among known ones: exit 2 naming it, nothing restarted, no execution recorded', async () => {
    const before = await allRunning();
    const { count: restartsBefore } = await c.govJson<{ count: number }>([
      'executions',
      '--kind',
      'restart',
      '--limit',
      '1000',
    ]);
    const r = await c.gov(['restart', 'web', 'nope', 'api']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: unknown handler "nope" \(known: api, db, solo, web\); nothing was done/);
    assert.equal(r.stdout, '');
    const { count: restartsAfter } = await c.govJson<{ count: number }>([
      'executions',
      '--kind',
      'restart',
      '--limit',
      '1000',
    ]);
    assert.equal(restartsAfter, restartsBefore, 'no restart execution');
    onlyChanged(before, await pids(), []);
  });

  it('gov logs NAME without --agent when it runs once; several instances are listed in the refusal', async () => {
    await waitFor(
      async () => {
        const r = await c.govJson<{ handler: string; lines: string[] }>(['logs', 'solo']);
        return r.handler === 'solo' && r.lines.some((l) => /^up \d+$/.test(l));
      },
      { what: 'gov logs solo shows its line', timeoutMs: 15_000 },
    );
    const r = await c.gov(['logs', 'web']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      'error: the target matches 2 instances: web@edge-1, web@edge-2; name one of them\n',
    );
  });

  // Last: it leaves edge-2 disconnected.
  it('a target on a disconnected agent fails that instance only: the others restart, exit 1', async () => {
    const before = await allRunning();
    await c.killAgent('edge-2');
    await c.waitAgentConnected('edge-2', false);
    const r = await c.gov(['restart', 'web', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const { outcomes } = JSON.parse(r.stdout) as { outcomes: Outcome[] };
    assert.deepEqual(
      outcomes.map((o) => [o.key, o.ok]),
      [
        ['web@edge-1', true],
        ['web@edge-2', false],
      ],
    );
    assert.match(outcomes[1]?.error ?? '', /agent edge-2 is not connected/);
    assert.match(r.stderr, /^error: restart web@edge-2: agent edge-2 is not connected/m);
    const after = await pids();
    assert.notEqual(after['web@edge-1'], before['web@edge-1']);
  });
});
