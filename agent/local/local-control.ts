/**
 * The agent's local control: the control socket (default `<data-dir>/gov.sock`, mode 0660, group
 * `--socket-group`) and, when asked for, a read-only socket (`--read-only-socket`, mode 0666: ps, metrics
 * and logs for every local user), both serving the Admin service for this agent's own handlers
 * (local-admin.ts). Needs the native socket helpers (the caller's uid for the audit): without them no
 * socket is opened and the reason is logged; the agent runs on.
 */
import { loadProtos } from '../../shared/proto.js';
import type { Logger } from '../../shared/logger.js';
import type { AgentCommands } from '../commands.js';
import { linuxSockets } from '../native/linux-sockets.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { ControlSocket } from './control-socket.js';
import type { LocalAudit } from './local-audit.js';
import { localAdminHandlers } from './local-admin.js';

export const CONTROL_SOCKET_MODE = 0o660;
export const READ_ONLY_SOCKET_MODE = 0o666;

export interface LocalControlOptions {
  supervisor: Supervisor;
  commands: AgentCommands;
  audit: LocalAudit;
  agentId: string;
  /** The control socket's path; null: none. */
  socket: string | null;
  /** Asked for explicitly: a failure to open it is fatal (the default socket's only logged). */
  socketRequired?: boolean;
  /** Group of the control socket (null: the agent's). */
  socketGid: number | null;
  /** The read-only socket's path; null: none. */
  readOnlySocket: string | null;
  logger: Logger;
}

export class LocalControl {
  private constructor(private readonly sockets: ControlSocket[]) {}

  static async open(o: LocalControlOptions): Promise<LocalControl> {
    const wanted = [
      ...(o.socket
        ? [
            {
              path: o.socket,
              mode: CONTROL_SOCKET_MODE,
              gid: o.socketGid,
              readOnly: false,
              required: o.socketRequired === true || o.socketGid !== null,
            },
          ]
        : []),
      ...(o.readOnlySocket
        ? [{ path: o.readOnlySocket, mode: READ_ONLY_SOCKET_MODE, gid: null, readOnly: true, required: true }]
        : []),
    ];
    if (wanted.length === 0) return new LocalControl([]);
    const native = linuxSockets();
    if (!native.ok) {
      o.logger.warn('local control sockets not opened', { reason: native.reason });
      return new LocalControl([]);
    }
    const service = loadProtos().admin.governor.v1.Admin.service;
    const opened: ControlSocket[] = [];
    try {
      for (const w of wanted) {
        const handlers = localAdminHandlers(service, {
          supervisor: o.supervisor,
          commands: o.commands,
          audit: o.audit,
          agentId: o.agentId,
          socketPath: w.path,
          readOnly: w.readOnly,
          logger: o.logger.named('local'),
        });
        try {
          opened.push(await ControlSocket.open({ ...w, service, handlers, native: native.native }));
        } catch (err) {
          if (w.required) throw err;
          // The default socket (e.g. a data dir path too long for a unix socket) never keeps an agent down.
          o.logger.warn('local control socket not opened; name one with --socket PATH', {
            path: w.path,
            err,
          });
          continue;
        }
        o.logger.info('local control socket', {
          path: w.path,
          mode: `0${w.mode.toString(8)}`,
          ...(w.gid !== null ? { gid: w.gid } : {}),
          read_only: w.readOnly,
        });
      }
    } catch (err) {
      await Promise.all(opened.map((s) => s.close()));
      throw err;
    }
    return new LocalControl(opened);
  }

  /** Stops serving and removes the socket files. */
  async close(): Promise<void> {
    await Promise.all(this.sockets.splice(0).map((s) => s.close()));
  }
}
