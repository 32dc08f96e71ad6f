/**
 * The HTTP/2 stream under a grpc-js server call is found (grpc-js's internals as this version has them):
 * an agent's link gets a wide receive window, and a stream can be reset. If a grpc-js upgrade moves them,
 * this fails instead of exec output and dropped watchers quietly going back to the slow or leaky way.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { http2StreamOf, resetStream, widenReceiveWindow } from '../../master/api/http2-stream.js';

const identity = (b: Buffer) => b;
const SERVICE: grpc.ServiceDefinition = {
  Stream: {
    path: '/test.Probe/Stream',
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

describe('the HTTP/2 stream under a grpc-js call', () => {
  it('widens the receive window of the connection and its streams, and resets a stream', async () => {
    const server = new grpc.Server();
    const seen: Array<{ widened: boolean; local: number | undefined }> = [];
    let reset = false;
    server.addService(SERVICE, {
      Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const widened = widenReceiveWindow(call, 1024 * 1024);
        seen.push({ widened, local: http2StreamOf(call)?.session?.state.localWindowSize });
        call.on('data', () => {
          reset = resetStream(call);
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const Client = grpc.makeGenericClientConstructor(SERVICE, 'Probe');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const call = (client as unknown as { Stream(): grpc.ClientDuplexStream<Buffer, Buffer> }).Stream();
      const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
      call.on('error', () => {});
      call.write(Buffer.from('x'));
      const status = await ended;
      assert.equal(seen[0]?.widened, true, 'the window was widened');
      assert.ok((seen[0]?.local ?? 0) >= 1024 * 1024, `connection window ${seen[0]?.local}`);
      assert.equal(reset, true, 'the stream was reset');
      assert.equal(status.code, grpc.status.CANCELLED);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
