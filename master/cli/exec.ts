/**
 * `gov exec [-i] [-t] [--agent A] [--record] TARGET -- CMD [ARGS…]`: runs CMD on the agent of ONE instance,
 * in its handler's context (cwd, env, user, cgroup), through the master (Admin.Exec). Stdout and stderr
 * arrive apart (merged with -t, as on a terminal); `-i` forwards stdin; `-t` allocates a pseudo-terminal
 * on the agent: the local terminal goes raw (restored on exit), its size is sent at start and on every
 * SIGWINCH, Ctrl-C / Ctrl-Z reach the remote program as keys. `-t` needs a terminal on stdin: without
 * one it is a usage error (no silent fallback; drop -t to use pipes). Without -t, Ctrl-C (SIGINT) is
 * passed to the remote program. gov exec exits with the remote exit code (128+N for signal N).
 * Output flow: while the local stdout cannot take more, the master's frames are not read, so a slow
 * terminal slows the remote program (master/exec/exec-relay.ts).
 */
import { Option } from 'commander';
import { UsageError, type CliIO } from '../../shared/cli-io.js';
import type { AdminApi } from './admin-client.js';
import { adminCommand } from './admin-command.js';
import { agentsOption, readTargets } from './command-kit.js';
import { connectAdmin, type AdminConnector } from './connect.js';
import type { ExecServerFrame__Output } from '../../proto/generated/governor/v1/ExecServerFrame.js';
import type { TargetSet } from '../../shared/targets.js';

interface ExecRequest {
  targets: TargetSet;
  command: string[];
  tty: boolean;
  stdin: boolean;
  record: boolean;
}

/** The local side: process streams (a seam for in-process use). */
export interface ExecTerminal {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  size(): { rows: number; cols: number };
}

const processTerminal = (): ExecTerminal => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  size: () => ({ rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 }),
});

/** Runs one session; resolves with the remote exit code (rejects with the master's error). */
export async function runExec(
  api: AdminApi,
  req: ExecRequest,
  term: ExecTerminal,
  env: CliIO['env'],
): Promise<number> {
  let code: number | null = null;
  let started = false;
  const out = (stream: NodeJS.WritableStream, chunk: Buffer) => {
    if (!stream.write(chunk)) {
      ch.pause();
      stream.once('drain', () => ch.resume());
    }
  };
  const ch = api.exec((f: ExecServerFrame__Output) => {
    if (f.body === 'stdout') out(term.stdout, f.stdout as Buffer);
    else if (f.body === 'stderr') out(term.stderr, f.stderr as Buffer);
    else if (f.body === 'exit') code = f.exit?.code ?? 0;
    else if (f.body === 'started' && !started) {
      started = true;
      if (req.stdin) forwardStdin();
    }
  });
  const stdin = term.stdin;
  const onStdin = (chunk: Buffer) => {
    if (!ch.write({ stdin: chunk })) {
      stdin.pause();
      ch.onDrain(() => stdin.resume());
    }
  };
  const onStdinEnd = () => ch.write({ stdin_eof: true });
  function forwardStdin(): void {
    stdin.on('data', onStdin);
    stdin.once('end', onStdinEnd);
    stdin.resume();
  }
  const raw = req.tty && stdin.isTTY === true;
  const onWinch = () => ch.write({ resize: term.size() });
  const onInt = () => ch.write({ signal: 'SIGINT' });
  const onHangup = () => ch.cancel();
  const size = term.size();
  try {
    if (raw) stdin.setRawMode(true);
    if (req.tty) process.on('SIGWINCH', onWinch);
    else process.on('SIGINT', onInt);
    process.on('SIGTERM', onHangup);
    process.on('SIGHUP', onHangup);
    ch.write({
      start: {
        targets: req.targets,
        command: req.command,
        tty: req.tty,
        stdin: req.stdin,
        rows: size.rows,
        cols: size.cols,
        term: env.TERM ?? '',
        record: req.record,
      },
    });
    await ch.done;
  } finally {
    if (raw) stdin.setRawMode(false);
    process.off('SIGWINCH', onWinch);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onHangup);
    process.off('SIGHUP', onHangup);
    stdin.off('data', onStdin);
    stdin.off('end', onStdinEnd);
    stdin.pause();
  }
  if (code === null) throw new Error('the master ended the exec session without an exit code');
  return code;
}

export function execCommand(
  connect: AdminConnector = connectAdmin,
  term: () => ExecTerminal = processTerminal,
) {
  return adminCommand(connect, {
    name: 'exec',
    summary: "run a command in one instance's context on its agent (-i stdin, -t terminal)",
    args: [
      ['<TARGET>', 'one instance: web (when it runs once), web@edge-1, web#1@edge-1'],
      ['[COMMAND...]', 'the program and its arguments, after --'],
    ],
    options: [
      new Option('-i, --interactive', 'forward stdin to the remote program'),
      new Option('-t, --tty', 'allocate a pseudo-terminal on the agent (needs a terminal here)'),
      agentsOption('only the instance on agent ID'),
      new Option('--record', "record the session (asciicast v2) into the instance's log folder on the agent"),
    ],
    check: (args, o) => {
      const [target, ...rest] = args;
      const command = rest.flat();
      if (command.length === 0) throw new UsageError('exec needs a command: gov exec TARGET -- CMD [ARGS…]');
      if (o.json) throw new UsageError("--json does not apply to exec: its output is the remote program's");
      const tty = o.tty === true;
      if (tty && !term().stdin.isTTY)
        throw new UsageError('-t needs a terminal on stdin (this one is not); drop -t to run over pipes');
      return {
        targets: readTargets([target!], o),
        command,
        tty,
        stdin: o.interactive === true,
        record: o.record === true,
      };
    },
    call: async (api, req, out) => runExec(api, req, term(), out.io.env),
  });
}
