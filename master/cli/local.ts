/**
 * `gov --local COMMAND`: the admin commands an agent serves itself on its local control socket, with no
 * master and no certificates (agent/local/). `--local` (anywhere before the command's own arguments end),
 * `--socket PATH`, or env GOV_SOCKET selects it; the socket is `--socket`, else GOV_SOCKET, else the one
 * agent socket under the default agent data dir (`data/agent-<ID>/gov.sock`, shared/local-socket.ts).
 * Only LOCAL_COMMANDS exist there; any other admin command is a usage error naming it. This module is
 * read by every `gov` run before a command loads: it imports nothing heavy (the connector is
 * local-connect.ts, loaded only when a local command runs).
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError, type CliIO } from '../../shared/cli-io.js';
import { NotFoundError } from '../../shared/errors.js';
import { CONTROL_ACTIONS } from '../../shared/control-request.js';
import { LOCAL_SOCKET_FILE } from '../../shared/local-socket.js';

/** What an agent's local socket serves (agent/local/local-admin.ts). */
export const LOCAL_COMMANDS: readonly string[] = ['ps', ...CONTROL_ACTIONS, 'logs', 'metrics'];

export interface LocalChoice {
  /** The arguments without `--local` and `--socket PATH`. */
  args: string[];
  /** Local mode: the socket named (null: the default one, found by `defaultSocket`), and what chose it. */
  local: { socket: string | null; by: string } | null;
}

/**
 * Takes `--local` and `--socket PATH` (`--socket=PATH`) out of `args`: before the command word always, after
 * it only for an admin command (`isAdmin`; a daemon's flags are its own: `gov agent --socket PATH`). GOV_SOCKET
 * in `env` means local mode for admin commands too.
 */
export function chooseLocal(
  args: readonly string[],
  env: Record<string, string | undefined>,
  isAdmin: (command: string) => boolean,
): LocalChoice {
  const out: string[] = [];
  let local = false;
  let socket: string | null = null;
  let command: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const ours = command === null || isAdmin(command);
    if (ours && a === '--local') {
      local = true;
    } else if (ours && a === '--socket') {
      const v = args[i + 1];
      if (v === undefined || v === '') throw new UsageError('--socket needs a PATH');
      socket = v;
      i++;
    } else if (ours && a.startsWith('--socket=')) {
      socket = a.slice('--socket='.length);
      if (socket === '') throw new UsageError('--socket needs a PATH');
    } else {
      if (command === null && !a.startsWith('-')) command = a;
      out.push(a);
    }
  }
  const fromEnv = env.GOV_SOCKET || null;
  const admin = command !== null && isAdmin(command);
  if (socket !== null) return { args: out, local: { socket, by: '--socket' } };
  if (local) return { args: out, local: { socket: fromEnv, by: '--local' } };
  if (fromEnv && admin) return { args: out, local: { socket: fromEnv, by: 'GOV_SOCKET' } };
  return { args: out, local: null };
}

/** Refuses (exit 2, naming it) an admin command the local socket does not serve. */
export function checkLocalCommand(command: string, by: string): void {
  if (!LOCAL_COMMANDS.includes(command))
    throw new UsageError(
      `gov ${command} is not available with ${by}: an agent's local socket serves ${LOCAL_COMMANDS.join(', ')}; ` +
        `${command} needs the master`,
    );
}

/**
 * The default agent socket: the one `data/agent-*\/gov.sock` under `cwd` (the default data dir of gov
 * agent). None: an error naming where it looked (exit 1); several: a usage error listing them (exit 2).
 */
export function defaultSocket(cwd: string): string {
  const dataDir = path.join(cwd, 'data');
  let found: string[] = [];
  try {
    found = readdirSync(dataDir)
      .filter((d) => d.startsWith('agent-'))
      .map((d) => path.join(dataDir, d, LOCAL_SOCKET_FILE))
      .filter((f) => {
        try {
          return statSync(f).isSocket();
        } catch {
          return false;
        }
      });
  } catch {
    /* no data dir */
  }
  if (found.length === 1) return found[0]!;
  if (found.length === 0)
    throw new NotFoundError(
      `no agent socket at ${path.join(dataDir, `agent-<ID>/${LOCAL_SOCKET_FILE}`)} (the default agent data dir): ` +
        'is gov agent running here? name its socket with --socket PATH or GOV_SOCKET',
    );
  throw new UsageError(
    `several agent sockets: ${found.join(', ')}; name one with --socket PATH or GOV_SOCKET`,
  );
}

/**
 * `args` without the local flags, and the socket a local run uses (absolute), or null when the run is not
 * local (or names no command: help). Throws the usage error of a command the socket does not serve.
 */
export function resolveLocal(
  args: readonly string[],
  io: Pick<CliIO, 'env' | 'cwd'>,
  isAdmin: (command: string) => boolean,
): { args: string[]; socket: string | null } {
  const choice = chooseLocal(args, io.env, isAdmin);
  const command = choice.args.find((a) => !a.startsWith('-'));
  if (!choice.local || command === undefined || ['help', 'completion', 'version'].includes(command))
    return { args: choice.args, socket: null };
  checkLocalCommand(command, choice.local.by);
  return { args: choice.args, socket: path.resolve(io.cwd, choice.local.socket ?? defaultSocket(io.cwd)) };
}
