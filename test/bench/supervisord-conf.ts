/**
 * The benches' own supervisord (never the system one): one config in a temp dir with its unix socket,
 * pidfile and logs there, and the programs a bench compares Governor with. One place for the file's shape.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** True when `cmd` is an executable name found on PATH. */
export function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(path.join(d, cmd)));
}

/**
 * Writes `<dir>/supervisord.conf` (socket `<dir>/supervisor.sock`, child logs in `logs`) holding `programs`
 * (each a `[program:…]` section's text) and returns its path; supervisorctl reaches it with `-c conf`.
 */
export function writeSupervisordConf(dir: string, logs: string, programs: readonly string[]): string {
  const conf = path.join(dir, 'supervisord.conf');
  const sock = path.join(dir, 'supervisor.sock');
  writeFileSync(
    conf,
    [
      '[unix_http_server]',
      `file=${sock}`,
      '',
      '[supervisord]',
      'nodaemon=true',
      // `user=` is only allowed for root (and root must name it).
      ...(process.getuid?.() === 0 ? ['user=root'] : []),
      `pidfile=${path.join(dir, 'supervisord.pid')}`,
      `logfile=${path.join(dir, 'supervisord.log')}`,
      `childlogdir=${logs}`,
      '',
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '',
      '[supervisorctl]',
      `serverurl=unix://${sock}`,
      '',
      ...programs,
    ].join('\n'),
  );
  return conf;
}
