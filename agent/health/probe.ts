/**
 * One health probe: `tcp` (connect to 127.0.0.1:PORT), `http` (GET, 2xx), `exec` (exit 0). Every probe
 * ends within its timeout and leaves nothing behind: sockets are destroyed, no keep-alive agent is used,
 * and an exec probe runs in its own process group, SIGKILLed as a group on timeout.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { formatDuration } from '../../shared/durations.js';
import { errorMessage } from '../../shared/errors.js';
import type { HealthSpec } from '../../shared/spec.js';
import type { ProbeResult } from './checks.js';
import { holdHelperGroup } from '../process/helper-groups.js';

/** How an exec probe runs: like its handler (instance/launch.ts), in its cwd, with its whole environment. */
export interface ProbeContext {
  cwd?: string;
  /** The probe's whole environment (nothing of the agent's is added). */
  env: Record<string, string>;
  /** The handler's launch prefix (`setpriv … --` for a `user:`), put before the probe's argv. */
  prefix?: string[];
  /** Set when the handler's launch was refused (e.g. an unknown user): the exec probe fails with it. */
  refused?: string;
}

export type Probe = (h: HealthSpec, ctx: ProbeContext) => Promise<ProbeResult>;

const OK: ProbeResult = { ok: true, reason: '' };
const fail = (reason: string): ProbeResult => ({ ok: false, reason });
const MAX_REASON = 200;

export const runProbe: Probe = (h, ctx) => {
  if (h.http) return httpProbe(h.http, h.timeout_ms);
  if (h.tcp !== undefined) return tcpProbe(h.tcp, h.timeout_ms);
  return execProbe(h.exec ?? [], h.timeout_ms, ctx);
};

export function tcpProbe(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (r: ProbeResult): void => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () =>
      done(fail(`connect timeout after ${formatDuration(timeoutMs)} to ${host}:${port}`)),
    );
    sock.once('connect', () => done(OK));
    sock.once('error', (err) => done(fail(errorMessage(err))));
  });
}

export function httpProbe(url: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      finish(code >= 200 && code < 300 ? OK : fail(`http ${code}`));
    });
    const timer = setTimeout(
      () => finish(fail(`http timeout after ${formatDuration(timeoutMs)}`)),
      timeoutMs,
    );
    req.once('error', (err) => finish(fail(errorMessage(err))));
  });
}

export function execProbe(argv: string[], timeoutMs: number, ctx: ProbeContext): Promise<ProbeResult> {
  return new Promise((resolve) => {
    if (ctx.refused) return resolve(fail(`exec: ${ctx.refused}`));
    const [cmd, ...args] = [...(ctx.prefix ?? []), ...argv];
    if (!cmd || argv.length === 0) return resolve(fail('exec: empty command'));
    let stderr = '';
    let settled = false;
    let timedOut = false;
    const child = spawn(cmd, args, {
      cwd: ctx.cwd,
      env: ctx.env,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    // Its own group while it runs: the agent's, never observed (process/helper-groups.ts).
    const release = child.pid ? holdHelperGroup(child.pid) : () => {};
    const finish = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      release();
      resolve(r);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_REASON) stderr += d.toString();
    });
    child.once('error', (err) => finish(fail(`exec ${errorMessage(err)}`)));
    child.once('close', (code, signal) => {
      if (timedOut) return finish(fail(`exec timeout after ${formatDuration(timeoutMs)} (killed)`));
      if (code === 0) return finish(OK);
      const line = stderr.trim().split('\n')[0]?.slice(0, MAX_REASON) ?? '';
      const how = signal ? `signal ${signal}` : `exit ${code}`;
      finish(fail(`exec ${how}${line ? `: ${line}` : ''}`));
    });
  });
}
