/**
 * The master's gRPC server: mTLS, the auth interceptor, the AgentLink and Admin services — bound once for
 * the life of the process. Every call is routed, as it arrives, to the services `route` names: the single
 * master's one set, or an HA master's while it leads. While it follows, `route` throws NotLeaderError and
 * the call is refused with it (UNAVAILABLE, the leader's address in metadata `governor-leader`); RPCs in
 * `always` (ListMasters) are answered whatever the role.
 */
import * as grpc from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AdminHandlers } from '../proto/generated/governor/v1/Admin.js';
import type { AgentMessage__Output } from '../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage } from '../proto/generated/governor/v1/MasterMessage.js';
import { UnavailableError } from '../shared/errors.js';
import { toServiceError } from '../shared/grpc-status.js';
import type { Logger } from '../shared/logger.js';
import { loadProtos } from '../shared/proto.js';
import { loadTlsMaterial, serverCredentials, serverOptions } from '../shared/tls.js';
import { callerIdentity, createAuthInterceptor } from './api/auth.js';
import type { MasterOptions } from './options.js';
import type { MasterServices } from './services.js';

export interface MasterRoute {
  /** The services that answer now; throws (NotLeaderError on a follower) to refuse the call. */
  current(): MasterServices;
  /** Admin RPCs answered by these handlers whatever `current` says. */
  always?: Partial<AdminHandlers>;
}

/** Binds the server on `options.listen`; resolves with it and the bound port. */
export async function bindMasterServer(
  options: MasterOptions,
  route: MasterRoute,
  log: Logger,
): Promise<{ server: grpc.Server; port: number }> {
  const tls = loadTlsMaterial({
    caPath: options.ca,
    certPath: options.cert,
    keyPath: options.key,
    cwd: process.cwd(),
  });
  const interceptor = createAuthInterceptor({
    // A follower knows no revocations: it refuses agent streams anyway.
    isRevoked: (id) => currentOrNull(route)?.registry.isRevoked(id) ?? false,
    logger: log.named('auth'),
  });
  const server = new grpc.Server(serverOptions([interceptor]));
  const { admin, link } = loadProtos();
  server.addService(link.governor.v1.AgentLink.service, {
    Connect: (call: ServerDuplexStream<AgentMessage__Output, MasterMessage>) => {
      let cn: string;
      let services: MasterServices;
      try {
        cn = callerIdentity(call).cn;
        services = route.current();
      } catch (err) {
        call.emit('error', toServiceError(err));
        return;
      }
      services.acceptAgent(call, cn);
    },
  });
  server.addService(admin.governor.v1.Admin.service, routedAdmin(admin.governor.v1.Admin.service, route));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.listen, serverCredentials(tls), (err, bound) => {
      if (err) {
        reject(new UnavailableError(`cannot listen on ${options.listen}: ${err.message}`, { cause: err }));
        return;
      }
      resolve(bound);
    }),
  );
  return { server, port };
}

/** Graceful server stop within `deadlineMs`, then forced. */
export function stopServer(server: grpc.Server, deadlineMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, deadlineMs).unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function currentOrNull(route: MasterRoute): MasterServices | null {
  try {
    return route.current();
  } catch {
    return null;
  }
}

type AnyHandler = (call: unknown, callback?: unknown) => void;

/** One handler per Admin method: the `always` one, or the current services' own — refused when none. */
function routedAdmin(
  definition: grpc.ServiceDefinition,
  route: MasterRoute,
): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const fixed = route.always?.[name as keyof AdminHandlers] as AnyHandler | undefined;
    if (fixed) {
      out[name] = fixed as grpc.UntypedHandleCall;
      continue;
    }
    out[name] = ((call: NodeJS.EventEmitter, callback?: grpc.sendUnaryData<unknown>) => {
      let handler: AnyHandler;
      try {
        handler = route.current().admin[name as keyof AdminHandlers] as AnyHandler;
      } catch (err) {
        // Unary and client-streaming calls answer through the callback; streaming replies end with the status.
        if (!method.responseStream && callback) callback(toServiceError(err));
        else call.emit('error', toServiceError(err));
        return;
      }
      handler(call, callback);
    }) as grpc.UntypedHandleCall;
  }
  return out;
}
