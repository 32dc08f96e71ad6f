/** The shape of every Admin unary handler: caller identity in, domain errors out as gRPC status. */
import type * as grpc from '@grpc/grpc-js';
import { toServiceError } from '../../shared/grpc-status.js';
import { callerIdentity, type CallerIdentity, type HasAuthContext } from './auth.js';

export type Unary<Req, Res> = (
  call: grpc.ServerUnaryCall<Req, Res> & HasAuthContext,
  cb: grpc.sendUnaryData<Res>,
) => void;

/** Runs `fn` with the caller's CN (and role); errors become gRPC status. Always returns after the callback. */
export function unary<Req, Res>(
  fn: (req: Req, issuedBy: string, caller: CallerIdentity) => Promise<Res>,
): Unary<Req, Res> {
  return (call, cb) => {
    let caller: CallerIdentity;
    try {
      caller = callerIdentity(call);
    } catch (err) {
      cb(toServiceError(err));
      return;
    }
    fn(call.request, caller.cn, caller).then(
      (res) => cb(null, res),
      (err: unknown) => cb(toServiceError(err)),
    );
  };
}
