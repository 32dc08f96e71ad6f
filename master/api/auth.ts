/**
 * Authorization for every master RPC, in one server interceptor (DESIGN §4, §8 item 4). TLS has already
 * proved the client certificate comes from the cluster CA; here its subject decides what it may call:
 * `OU=agent` only the agent stream, `OU=admin` every Admin RPC, `OU=viewer` only the read-only ones.
 * Revoked agents are refused. Handlers read the caller with `callerIdentity(call)`.
 */
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { PermissionError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { ROLES, type Role } from '../../shared/pki.js';
import { ADMIN_SERVICE_PREFIX, READ_ONLY_ADMIN_METHODS } from '../../shared/admin-methods.js';

export type { Role } from '../../shared/pki.js';

export const AGENT_CONNECT_METHOD = '/governor.v1.AgentLink/Connect';
/** Admin RPCs a viewer may call: the read-only ones (shared/admin-methods.ts, one list for server and CLI). */
export { ADMIN_SERVICE_PREFIX, READ_ONLY_ADMIN_METHODS };

/** The subject of a client certificate, as presented (OU may be anything, or several values). */
export interface PeerIdentity {
  cn: string;
  ou: string | string[];
}

/** An authenticated caller with a Governor role. */
export interface CallerIdentity {
  cn: string;
  role: Role;
}

export type AuthDecision =
  | { ok: true; identity: CallerIdentity }
  | { ok: false; code: grpc.status.UNAUTHENTICATED | grpc.status.PERMISSION_DENIED; reason: string };

export interface AuthorizeOptions {
  /** The agent id is revoked (`gov agents revoke ID`). Consulted for `OU=agent` certificates only. */
  isRevoked?: (agentId: string) => boolean;
}

/** Pure decision: may `peer` call `method` (a full gRPC path such as `/governor.v1.Admin/Apply`)? */
export function authorize(
  method: string,
  peer: PeerIdentity | null,
  opts: AuthorizeOptions = {},
): AuthDecision {
  const rpc = shortMethod(method);
  if (!peer) {
    return deny(
      grpc.status.UNAUTHENTICATED,
      `no verified client certificate; ${rpc} needs one from the cluster CA`,
    );
  }
  const subject = describe(peer);
  if (!peer.cn) {
    return deny(grpc.status.UNAUTHENTICATED, `certificate ${subject} has no CN; ${rpc} is refused`);
  }
  const role = roleOf(peer.ou);
  if (role === null) {
    return deny(
      grpc.status.PERMISSION_DENIED,
      `certificate ${subject} may not call ${rpc}: it carries no single Governor role (OU=agent, admin or viewer)`,
    );
  }
  const identity: CallerIdentity = { cn: peer.cn, role };
  if (role === 'agent' && opts.isRevoked?.(peer.cn)) {
    return deny(
      grpc.status.UNAUTHENTICATED,
      `certificate ${subject} is revoked (gov agents revoke ${peer.cn}); ${rpc} is refused`,
    );
  }
  const refusal = roleRefusal(role, method);
  if (refusal)
    return deny(grpc.status.PERMISSION_DENIED, `certificate ${subject} may not call ${rpc}: ${refusal}`);
  return { ok: true, identity };
}

/** Why `role` may not call `method`, or null when it may. */
function roleRefusal(role: Role, method: string): string | null {
  const isAdmin = method.startsWith(ADMIN_SERVICE_PREFIX);
  if (method !== AGENT_CONNECT_METHOD && !isAdmin) return 'unknown method';
  switch (role) {
    case 'agent':
      return method === AGENT_CONNECT_METHOD ? null : 'agent certificates may only open AgentLink/Connect';
    case 'admin':
      return isAdmin ? null : 'only agent certificates may open the agent stream';
    case 'viewer':
      if (!isAdmin) return 'only agent certificates may open the agent stream';
      return READ_ONLY_ADMIN_METHODS.has(method) ? null : 'viewer is read-only';
  }
}

/** CN and OU of a TLS peer certificate (undefined/empty → null). */
export function peerIdentity(cert: PeerCertificate | undefined): PeerIdentity | null {
  if (!cert || !cert.subject) return null;
  const cn = firstString(cert.subject.CN as unknown);
  const rawOu = cert.subject.OU as unknown;
  const ou = Array.isArray(rawOu)
    ? rawOu.filter((v): v is string => typeof v === 'string')
    : firstString(rawOu);
  return { cn, ou };
}

export interface AuthInterceptorOptions extends AuthorizeOptions {
  /** Refusals are logged here at warn level (`method`, `cn`, `ou`, `reason`). */
  logger?: Logger;
}

/**
 * The one server interceptor: decides before the handler runs (the handler is never invoked for a
 * refused call) and answers UNAUTHENTICATED or PERMISSION_DENIED with the reason.
 */
export function createAuthInterceptor(opts: AuthInterceptorOptions = {}): grpc.ServerInterceptor {
  return (methodDescriptor, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, mdNext) {
            const peer = peerIdentity(call.getAuthContext().sslPeerCertificate);
            const decision = authorize(methodDescriptor.path, peer, opts);
            if (decision.ok) {
              mdNext(metadata);
              return;
            }
            opts.logger?.warn('call refused', {
              method: methodDescriptor.path,
              cn: peer?.cn,
              ou: peer?.ou,
              reason: decision.reason,
            });
            call.sendStatus({ code: decision.code, details: decision.reason, metadata: new grpc.Metadata() });
          },
        });
      },
    });
}

/** Anything that exposes the connection's auth context: every grpc-js server call object does. */
export interface HasAuthContext {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate | undefined };
}

/**
 * The caller of a call that passed the interceptor: `{cn, role}` from its certificate. Throws
 * PermissionError when there is none (only possible on a server built without the interceptor).
 */
export function callerIdentity(call: HasAuthContext): CallerIdentity {
  const peer = peerIdentity(call.getAuthContext().sslPeerCertificate);
  const role = peer ? roleOf(peer.ou) : null;
  if (!peer || !peer.cn || role === null) {
    throw new PermissionError('the call carries no client certificate with a Governor role');
  }
  return { cn: peer.cn, role };
}

/** The agent stream's identity rule: a hello's agent_id must be the certificate's CN. */
export function checkAgentId(identity: CallerIdentity, agentId: string): void {
  if (identity.role !== 'agent') {
    throw new PermissionError(
      `certificate CN=${identity.cn} OU=${identity.role} is not an agent certificate`,
    );
  }
  if (agentId !== identity.cn) {
    throw new PermissionError(
      `certificate CN=${identity.cn} may not connect as agent ${JSON.stringify(agentId)}: ` +
        'an agent connects only under its certificate CN',
    );
  }
}

// ---------------------------------------------------------------------------------------------------

function roleOf(ou: string | string[]): Role | null {
  const roles = new Set((Array.isArray(ou) ? ou : [ou]).filter((v): v is Role => ROLES.includes(v as Role)));
  if (roles.size !== 1) return null;
  return [...roles][0] ?? null;
}

function deny(
  code: grpc.status.UNAUTHENTICATED | grpc.status.PERMISSION_DENIED,
  reason: string,
): AuthDecision {
  return { ok: false, code, reason };
}

/** `/governor.v1.Admin/Apply` → `Admin/Apply`. */
function shortMethod(method: string): string {
  return method.replace(/^\/(?:[a-z0-9_]+\.)*v\d+\./i, '').replace(/^\//, '') || method;
}

function describe(peer: PeerIdentity): string {
  const ou = Array.isArray(peer.ou) ? peer.ou.join('+') : peer.ou;
  return `CN=${peer.cn || '(none)'} OU=${ou || '(none)'}`;
}

function firstString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return '';
}
