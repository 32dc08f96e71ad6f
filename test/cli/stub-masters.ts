/**
 * Stub Admin servers standing for the masters of an HA cluster (port 0, the test PKI's master certificate):
 * a `follower` refuses every call and stream with NotLeaderError naming `leader` (as the real follower does
 * for mutations), a `leader` runs the handlers a test sets; every call received is recorded.
 */
import * as grpc from '@grpc/grpc-js';
import { NotLeaderError } from '../../shared/errors.js';
import { toServiceError } from '../../shared/grpc-status.js';
import { loadProtos } from '../../shared/proto.js';
import { serverCredentials, serverOptions, type TlsMaterial } from '../../shared/tls.js';

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> &
  grpc.ServerWritableStream<unknown, unknown> &
  grpc.ServerDuplexStream<unknown, unknown>;
export type StubHandler = (call: AnyCall, cb: grpc.sendUnaryData<unknown>) => void;

export class StubMaster {
  role: 'leader' | 'follower' = 'leader';
  /** The leader a follower names ('' while "no leader is elected yet"). */
  leader = '';
  readonly received: string[] = [];
  readonly handlers: Record<string, StubHandler> = {};

  private constructor(
    readonly server: grpc.Server,
    readonly address: string,
  ) {}

  static async start(material: TlsMaterial): Promise<StubMaster> {
    const { admin } = loadProtos();
    const server = new grpc.Server(serverOptions());
    const impl: grpc.UntypedServiceImplementation = {};
    let self: StubMaster | null = null;
    for (const method of Object.keys(admin.governor.v1.Admin.service)) {
      impl[method] = ((call: AnyCall, cb?: grpc.sendUnaryData<unknown>) => {
        const me = self!;
        me.received.push(method);
        const refuse = (err: Partial<grpc.ServiceError>) => {
          if (cb) cb(err as grpc.ServiceError);
          else call.emit('error', Object.assign(new Error(err.details), err));
        };
        if (me.role === 'follower') return refuse(toServiceError(new NotLeaderError(me.leader)));
        const h = me.handlers[method];
        if (h) return h(call, cb ?? (() => {}));
        return refuse({ code: grpc.status.UNIMPLEMENTED, details: `${method} not stubbed` });
      }) as grpc.UntypedHandleCall;
    }
    server.addService(admin.governor.v1.Admin.service, impl);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', serverCredentials(material), (e, p) => (e ? reject(e) : resolve(p))),
    );
    self = new StubMaster(server, `127.0.0.1:${port}`);
    return self;
  }

  count(method: string): number {
    return this.received.filter((m) => m === method).length;
  }

  stop(): void {
    this.server.forceShutdown();
  }
}
