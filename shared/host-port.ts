/** `HOST:PORT` addresses on command lines: a name, an IPv4 address or `[v6]`, and a port from 1 to 65535. */
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** True when `addr` is `HOST:PORT` (the one check of the address flags: `--master`, `--listen` …). */
export function isHostPort(addr: string): boolean {
  const m = HOST_PORT.exec(addr);
  const port = m ? Number(m[2]) : NaN;
  return port >= 1 && port <= 65535;
}
