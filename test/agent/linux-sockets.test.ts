import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { linuxSockets, type LinuxSockets } from '../../agent/native/linux-sockets.js';
import { tempDir, trackPid, waitFor } from '../helpers/common.js';

function native(): LinuxSockets {
  const n = linuxSockets();
  if (!n.ok) assert.fail(n.reason); // npm ci builds it; its absence is a failure, not a skip
  return n.native;
}

describe('native socket helpers', () => {
  it('a datagram arrives with the PID, uid and gid the kernel attaches, not ones the sender claims', async () => {
    const n = native();
    const sock = path.join(tempDir(), 'notify.sock');
    const fd = n.openDatagram(sock);
    const got: { pid: number; uid: number; text: string }[] = [];
    const w = n.watch(fd, () => {
      for (const m of n.receive(fd)) got.push({ pid: m.pid, uid: m.uid, text: m.data.toString() });
    });
    try {
      n.send(sock, Buffer.from('READY=1\nMAINPID=1'));
      // Another process, whose PID is not ours.
      const child = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const {linuxSockets} = await import(${JSON.stringify(new URL('../../agent/native/linux-sockets.js', import.meta.url).href)});` +
            `linuxSockets().native.send(process.argv[1], Buffer.from('STATUS=child'));`,
          sock,
        ],
        { stdio: 'inherit' },
      );
      trackPid(child.pid);
      await waitFor(() => got.length === 2, { what: 'both datagrams' });
      assert.deepEqual(got[0], { pid: process.pid, uid: process.getuid!(), text: 'READY=1\nMAINPID=1' });
      assert.equal(got[1]?.pid, child.pid);
      assert.equal(got[1]?.text, 'STATUS=child');
    } finally {
      n.close(w);
    }
  });

  it('a datagram longer than 4096 bytes is marked truncated', async () => {
    const n = native();
    const sock = path.join(tempDir(), 'notify.sock');
    const fd = n.openDatagram(sock);
    const got: boolean[] = [];
    const w = n.watch(fd, () => got.push(...n.receive(fd).map((m) => m.truncated)));
    try {
      n.send(sock, Buffer.alloc(5000, 0x41));
      n.send(sock, Buffer.from('READY=1'));
      await waitFor(() => got.length === 2, { what: 'two datagrams' });
      assert.deepEqual(got, [true, false]);
    } finally {
      n.close(w);
    }
  });

  it('a bind to a path that exists, or a path too long for a unix socket, fails with its errno name, naming the call', () => {
    const n = native();
    const sock = path.join(tempDir(), 'notify.sock');
    const w = n.watch(n.openDatagram(sock), () => {});
    try {
      assert.throws(() => n.openDatagram(sock), { code: 'EADDRINUSE', syscall: 'bind' });
      const long = `/tmp/${'x'.repeat(120)}`;
      assert.throws(() => n.openDatagram(long), { code: 'ENAMETOOLONG', syscall: 'bind' });
      assert.throws(() => n.send(long, Buffer.from('READY=1')), { code: 'ENAMETOOLONG', syscall: 'sendto' });
    } finally {
      n.close(w);
    }
  });

  it('the peer of a unix stream connection is identified by the kernel (SO_PEERCRED)', async () => {
    const n = native();
    const sock = path.join(tempDir(), 'ctl.sock');
    let peer: { uid: number; pid: number } | null = null;
    const server = net.createServer((c) => {
      const fd = (c as unknown as { _handle: { fd: number } })._handle.fd;
      peer = n.peerCredentials(fd);
      c.end();
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const c = net.connect(sock);
      await new Promise((r) => c.on('close', r));
      assert.deepEqual({ uid: peer!.uid, pid: peer!.pid }, { uid: process.getuid!(), pid: process.pid });
    } finally {
      server.close();
    }
  });
});
