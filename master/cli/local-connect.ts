/**
 * The `AdminConnector` of `gov --local` (local.ts): an insecure gRPC channel to an agent's local control
 * socket (no certificate is read: the socket file's permissions are the authorization). A missing path or
 * one that is not a socket is refused naming it before anything connects.
 */
import { statSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { PermissionError, UnavailableError, ValidationError } from '../../shared/errors.js';
import { createGrpcAdminApi } from './admin-client.js';
import type { AdminConnector } from './connect.js';

export function localConnector(socket: string): AdminConnector {
  return async (conn) => {
    let isSocket: boolean;
    try {
      isSocket = statSync(socket).isSocket();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES')
        throw new PermissionError(
          `cannot connect to the agent socket ${socket}: permission denied (a directory on its path is closed ` +
            'to you) — only its owner and group may; read-only access goes through a read-only socket',
        );
      const why = code === 'ENOENT' ? 'no such file' : String(code);
      throw new UnavailableError(
        `cannot connect to the agent socket ${socket}: ${why} — is gov agent running?`,
      );
    }
    if (!isSocket) throw new ValidationError(`${socket} is not a socket (--socket / GOV_SOCKET)`);
    return createGrpcAdminApi({
      target: `unix:${socket}`,
      credentials: grpc.credentials.createInsecure(),
      timeoutMs: conn.timeoutMs,
      localSocket: socket,
    });
  };
}
