/**
 * `gov dev --ha` (real etcd; skipped only without etcd and CI unset): etcd, three masters and one agent come
 * up, the printed GOV_MASTER list works for the CLI (`gov masters` shows one leader of three, `gov ps` the
 * demo handlers, also after kill -9 of the leader), and Ctrl-C stops every process it started. Without etcd
 * on PATH it refuses with what to install.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { isAlive } from '../../shared/proc.js';
import { GOV_BIN, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { etcdSkipReason } from '../helpers/etcd.js';

function gov(args: string[], cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [GOV_BIN, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('gov dev --ha', function () {
  this.timeout(180_000);

  it('without etcd on PATH: exit 1 naming the package to install', async () => {
    const r = await gov(['dev', '--ha'], tempDir(), { PATH: tempDir() });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /gov dev --ha needs etcd, and no etcd is on PATH: install it \(.*apt-get install etcd-server\)/,
    );
  });

  it('etcd + 3 masters + an agent; the printed list serves the CLI through a leader kill; Ctrl-C stops all', async function () {
    const skip = etcdSkipReason();
    if (skip) {
      console.log(`      (skipped: ${skip})`);
      return this.skip();
    }
    const cwd = tempDir();
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const dev = spawn(process.execPath, [GOV_BIN, 'dev', '--ha', '--listen', '127.0.0.1:0'], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackPid(dev.pid);
    let out = '';
    let err = '';
    dev.stdout.on('data', (d: Buffer) => (out += d.toString()));
    dev.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => dev.once('exit', (code) => r(code)));
    const pids: number[] = [];
    try {
      await waitFor(() => /cluster is up/.test(out) && /Ctrl-C stops/.test(out), {
        timeoutMs: 90_000,
        what: `gov dev --ha to come up (stderr: ${err})`,
      });
      for (const m of out.matchAll(/pid (\d+)/g)) pids.push(Number(m[1]));
      for (const p of pids) trackPid(p);
      assert.equal(pids.length, 5, `etcd, 3 masters, the agent: ${out}`);
      const list = /export GOV_MASTER=(\S+)/.exec(out)![1]!;
      assert.equal(list.split(',').length, 3);
      const withList = { ...env, GOV_MASTER: list };

      const masters = JSON.parse((await gov(['masters', '--json'], cwd, withList)).stdout) as {
        masters: Array<{ address: string; leader: boolean }>;
      };
      assert.equal(masters.masters.length, 3);
      const leader = masters.masters.filter((m) => m.leader);
      assert.equal(leader.length, 1);
      const ps = await gov(['ps', '--json'], cwd, withList);
      assert.equal(ps.code, 0, ps.stderr);
      const instances = (
        JSON.parse(ps.stdout) as { instances: Array<{ handler: string; pid: number; shim_pid?: number }> }
      ).instances;
      for (const i of instances) trackPid(i.shim_pid || i.pid, true); // the process group (the shim leads it)
      const handlers = instances.map((i) => i.handler);
      assert.deepEqual(handlers.sort(), ['hello-api', 'hello-web']);

      // kill -9 of the leader (its pid is on its line of the banner).
      const line = out.split('\n').find((l) => l.includes(leader[0]!.address))!;
      process.kill(Number(/pid (\d+)/.exec(line)![1]), 'SIGKILL');
      const after = await gov(['ps', '--json'], cwd, withList);
      assert.equal(after.code, 0, after.stderr);
      await waitFor(
        async () => {
          const m = JSON.parse(
            (await gov(['masters', '--json'], cwd, withList)).stdout || '{}',
          ) as typeof masters;
          return m.masters?.some((x) => x.leader && x.address !== leader[0]!.address);
        },
        { timeoutMs: 30_000, what: 'another master to lead' },
      );
    } finally {
      dev.kill('SIGINT');
      assert.equal(await exited, 0, err);
    }
    await waitFor(() => pids.every((p) => !isAlive(p)), {
      timeoutMs: 20_000,
      what: 'every child of gov dev to exit',
    });
    assert.match(out, /stopping the HA dev cluster/);
  });
});
