/**
 * Handlers never see the agent's environment, and `user:` runs them as that user while the agent's shim
 * (root) still records their exit: real agent processes and a real supervisor with real handlers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Supervisor, type InstanceStatus } from '../../agent/supervisor/supervisor.js';
import { listPids, readProcStat } from '../../shared/proc.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { AGENT_MAIN, writeHandlers } from './helpers.js';

const SECRET = 'AKIA-agent-secret-not-for-handlers';

interface Dump {
  env: Record<string, string>;
  uid: number;
  gid: number;
}

function readDump(file: string): Dump | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Dump) : null;
}

function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler(raw, 'handlers[0]', 'test');
}

/** `Uid:` / `Gid:` of /proc/PID/status: real, effective, saved, fs. */
function ids(pid: number, field: 'Uid' | 'Gid'): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return (line ?? '').split(/\s+/).slice(1).join(' ');
}

/** The one live child of `pid` (the handler under its shim). */
function childOf(pid: number): number | null {
  for (const p of listPids()) {
    const st = readProcStat(p);
    if (st && st.ppid === pid && st.state !== 'Z') return p;
  }
  return null;
}

describe('handler environment and user', () => {
  it("a handler's environment holds no secret of the agent's: only PATH LANG HOME USER TZ, its env and GOV_*", async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const plain = path.join(dir, 'plain.json');
    const handlers = writeHandlers(dir, [
      {
        name: 'plain',
        command: ['node', fixture('env-dump.mjs')],
        env: { ENV_DUMP: plain, PORT: '8080' },
        restart: 'never',
        start_seconds: 0,
      },
    ]);
    const agentEnv = {
      ...process.env,
      AWS_SECRET_ACCESS_KEY: SECRET,
      GOV_KEY: '/etc/governor/agent-edge-9.key',
      DB_URL: 'postgres://db/app',
      TZ: 'Europe/Paris',
    };
    const proc = spawn(
      process.execPath,
      [AGENT_MAIN, '--handlers', handlers, '--data-dir', dataDir, '--id', 'edge-9'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: agentEnv,
      },
    );
    trackPid(proc.pid);
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      const a = await waitFor(() => readDump(plain), { timeoutMs: 30_000, what: `plain's dump (${stderr})` });
      assert.ok(!JSON.stringify(a.env).includes(SECRET), 'the agent secret never reaches a handler');
      assert.ok(!('GOV_KEY' in a.env) && !('DB_URL' in a.env));
      assert.deepEqual(
        Object.keys(a.env)
          // PWD is set by the shim's /bin/sh to the handler's cwd, not inherited.
          .filter((k) => !['PATH', 'LANG', 'HOME', 'USER', 'TZ', 'PWD'].includes(k))
          .sort(),
        ['ENV_DUMP', 'GOV_AGENT', 'GOV_HANDLER', 'GOV_INSTANCE', 'GOV_INSTANCE_INDEX', 'GOV_SPAWN', 'PORT'],
        'nothing else of the agent is inherited',
      );
      assert.equal(a.env.PATH, process.env.PATH);
      assert.equal(a.env.TZ, 'Europe/Paris');
      assert.deepEqual(
        [a.env.GOV_HANDLER, a.env.GOV_INSTANCE, a.env.GOV_AGENT, a.env.GOV_INSTANCE_INDEX],
        ['plain', 'plain', 'edge-9', '0'],
      );
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  });

  describe('in a supervisor (the agent is root here)', () => {
    const sups: Supervisor[] = [];
    afterEach(async () => {
      for (const sup of sups.splice(0)) {
        for (const s of sup.status()) if (s.pgid) trackPid(s.pgid, true);
        await sup.shutdown();
      }
    });
    async function supervisor(
      agentEnv?: Record<string, string | undefined>,
      dataDir = tempDir(),
    ): Promise<Supervisor> {
      const sup = await Supervisor.create({
        dataDir,
        pollIntervalMs: 50,
        random: () => 0.5,
        agentId: 'edge-3',
        ...(agentEnv ? { agentEnv } : {}),
      });
      sups.push(sup);
      return sup;
    }
    const one = (sup: Supervisor, name: string): InstanceStatus => sup.status(name)[0]!;

    it('${index+N} in env gives each replica its own value: count 3 gets PORT 20001..20003', async () => {
      const dir = tempDir();
      const sup = await supervisor({ PATH: process.env.PATH });
      await sup.applySpecs([
        spec({
          name: 'ports',
          count: 3,
          command: [
            'sh',
            '-c',
            `ENV_DUMP="$ENV_DUMP.$GOV_INSTANCE_INDEX" exec node ${fixture('env-dump.mjs')}`,
          ],
          env: { ENV_DUMP: path.join(dir, 'dump'), PORT: '${index+20001}', SLOT: 'slot-${index}' },
          restart: 'never',
          start_seconds: 0,
        }),
      ]);
      for (const i of [0, 1, 2]) {
        const d = await waitFor(() => readDump(path.join(dir, `dump.${i}`)), { what: `replica ${i}'s dump` });
        assert.deepEqual(
          [d.env.PORT, d.env.SLOT, d.env.GOV_INSTANCE_INDEX],
          [String(20001 + i), `slot-${i}`, String(i)],
        );
      }
    });

    it('inherit_env widens what a replica inherits; GOV_INSTANCE names the replica', async () => {
      const dir = tempDir();
      const sup = await supervisor({
        PATH: process.env.PATH,
        DB_URL: 'postgres://db/app',
        AWS_SECRET_ACCESS_KEY: SECRET,
      });
      await sup.applySpecs([
        spec({
          name: 'widened',
          count: 2,
          // One dump file per replica: <dump>.<index>.
          command: [
            'sh',
            '-c',
            `ENV_DUMP="$ENV_DUMP.$GOV_INSTANCE_INDEX" exec node ${fixture('env-dump.mjs')}`,
          ],
          env: { ENV_DUMP: path.join(dir, 'dump') },
          inherit_env: ['DB_URL'],
          restart: 'never',
          start_seconds: 0,
        }),
      ]);
      const d = await waitFor(() => readDump(path.join(dir, 'dump.1')), {
        timeoutMs: 20_000,
        what: "replica 1's dump",
      });
      assert.equal(d.env.GOV_INSTANCE, 'widened#1');
      assert.equal(d.env.DB_URL, 'postgres://db/app');
      assert.ok(!JSON.stringify(d.env).includes(SECRET));
      assert.deepEqual(
        [d.env.GOV_HANDLER, d.env.GOV_AGENT, d.env.GOV_INSTANCE_INDEX],
        ['widened', 'edge-3', '1'],
      );
    });

    it('user: nobody runs the handler as nobody, the shim stays root and its exit code is still recorded', async function () {
      if (process.geteuid?.() !== 0) this.skip();
      const sup = await supervisor();
      const shared = tempDir();
      chmodSync(shared, 0o777); // the trigger file is made and removed by a handler running as nobody
      const trigger = path.join(shared, 'go');
      const [st] = await sup.applySpecs([
        spec({
          name: 'asnobody',
          command: ['node', fixture('exit-on-file.mjs')],
          env: { TRIGGER: trigger, EXIT_CODE: '9' },
          user: 'nobody',
          restart: 'never',
          start_seconds: 0,
        }),
      ]);
      assert.equal(st?.state, 'running');
      trackPid(st?.pgid ?? undefined, true);
      const shim = st!.shim_pid!;
      const handler = await waitFor(
        () => {
          const c = childOf(shim);
          return c && readProcStat(c)?.comm === 'node' ? c : null;
        },
        { timeoutMs: 20_000, what: 'the handler under its shim' },
      );
      assert.equal(st?.pid, handler, 'setpriv execs: the main pid reported is the handler itself');
      assert.equal(ids(handler, 'Uid'), '65534 65534 65534 65534', 'the handler runs as nobody');
      assert.equal(ids(handler, 'Gid'), '65534 65534 65534 65534');
      assert.equal(ids(shim, 'Uid'), '0 0 0 0', 'the shim that writes the exit file stays root');
      writeFileSync(trigger, '');
      const done = await waitFor(
        () => (one(sup, 'asnobody').state === 'exited' ? one(sup, 'asnobody') : null),
        {
          timeoutMs: 20_000,
          what: 'exited',
        },
      );
      assert.equal(done.last_exit?.code, 9, 'the exit code is recorded by the root shim');
    });

    it('a restarted agent re-adopts a handler run as another user (identity is the shim, setpriv prefix included)', async function () {
      if (process.geteuid?.() !== 0) this.skip();
      const dataDir = tempDir();
      const first = await supervisor(undefined, dataDir);
      const [st] = await first.applySpecs([
        spec({
          name: 'kept',
          command: ['node', fixture('exit-on-file.mjs')],
          user: 'nobody',
          start_seconds: 0,
        }),
      ]);
      trackPid(st?.pgid ?? undefined, true);
      await first.shutdown(); // the handler keeps running
      sups.splice(sups.indexOf(first), 1);
      const second = await supervisor(undefined, dataDir);
      const again = one(second, 'kept');
      assert.deepEqual([again.state, again.pid], ['running', st?.pid]);
      assert.equal(again.events.at(-1)?.type, 'ADOPTED');
      assert.equal((await second.stop('kept')).state, 'stopped');
    });

    it('user: sets HOME and USER from the passwd entry', async function () {
      if (process.geteuid?.() !== 0) this.skip();
      const sup = await supervisor();
      const shared = tempDir();
      chmodSync(shared, 0o777);
      const out = path.join(shared, 'env.json');
      await sup.applySpecs([
        spec({
          name: 'who',
          command: ['node', fixture('env-dump.mjs')],
          env: { ENV_DUMP: out },
          user: 'nobody',
          restart: 'never',
          start_seconds: 0,
        }),
      ]);
      const d = await waitFor(() => readDump(out), { timeoutMs: 20_000, what: 'dump' });
      assert.deepEqual([d.uid, d.gid, d.env.USER, d.env.HOME], [65534, 65534, 'nobody', '/nonexistent']);
      assert.equal(statSync(out).uid, 65534);
    });

    it('an exec health check runs like its handler: as its user, with its environment only', async function () {
      if (process.geteuid?.() !== 0) this.skip();
      const sup = await supervisor({ PATH: process.env.PATH, AWS_SECRET_ACCESS_KEY: SECRET });
      const check =
        'test "$(id -u)" = 65534 && test -z "$AWS_SECRET_ACCESS_KEY" && test "$GOV_HANDLER" = probed';
      const [st] = await sup.applySpecs([
        spec({
          name: 'probed',
          command: ['node', fixture('exit-on-file.mjs')],
          user: 'nobody',
          start_seconds: 0,
          health: { exec: ['sh', '-c', check], interval: '100ms', timeout: '5s' },
        }),
      ]);
      trackPid(st?.pgid ?? undefined, true);
      const ok = await waitFor(() => (one(sup, 'probed').health === 'healthy' ? one(sup, 'probed') : null), {
        timeoutMs: 20_000,
        what: `a healthy verdict (${one(sup, 'probed').health_reason})`,
      });
      assert.equal(ok.state, 'running');
      await sup.stop('probed');
    });

    it('an unknown user is a clear error on the instance, and nothing is started', async () => {
      const sup = await supervisor();
      const [st] = await sup.applySpecs([
        spec({
          name: 'bad',
          command: ['node', fixture('ticker.mjs')],
          user: 'no-such-user-x',
          start_seconds: 0,
        }),
      ]);
      assert.equal(st?.state, 'fatal');
      assert.equal(st?.pid, null);
      const ev = st!.events.find((e) => e.type === 'SPAWN_FAILED');
      assert.match(
        ev?.message ?? '',
        /user: "no-such-user-x" is not a user on this machine \(not in \/etc\/passwd\)/,
      );
    });
  });
});
