/**
 * The systemd units of a production host (`governor-master.service`, `governor-agent.service`, and the
 * sysusers.d declaration of the master's user): their one text, rendered with the paths and addresses
 * `gov install-units` is given. contrib/systemd/ holds the
 * rendering with the defaults below (a test compares them; regenerate with
 * `gov install-units --dir contrib/systemd --bin /usr/local/bin/gov --force`).
 */

export interface UnitSettings {
  /** Absolute path of the `gov` executable the units run. */
  bin: string;
  /** The address agents dial (`gov agent --master`). */
  masterAddress: string;
  /** The master's gRPC address (`gov master --listen`). */
  listen: string;
  /** A standalone agent (`gov agent --handlers FILE`, no master) instead of a connected one. */
  handlers?: string | undefined;
}

export const UNIT_DEFAULTS: UnitSettings = {
  bin: '/usr/local/bin/gov',
  masterAddress: '127.0.0.1:7070',
  listen: '0.0.0.0:7070',
};

/** Where the units expect the PKI (`gov certs init --dir /etc/governor ...`). */
export const CERTS_DIR = '/etc/governor';
export const MASTER_UNIT = 'governor-master.service';
export const AGENT_UNIT = 'governor-agent.service';
/** The master's system user, declared for systemd-sysusers in SYSUSERS_FILE. */
export const MASTER_USER = 'governor';
export const SYSUSERS_FILE = 'governor.conf';
/**
 * What makes the master's user and lets it read its certificates (`gov certs init` makes the PKI
 * directory 0700): the user may enter the directory (group), its key is its own; ca.key and the other
 * keys stay 0600 root's. One shell line, printed by `gov install-units`.
 */
export const MASTER_HOST_SETUP =
  `systemd-sysusers && chgrp ${MASTER_USER} ${CERTS_DIR} && chmod 0750 ${CERTS_DIR} && ` +
  `chown ${MASTER_USER} ${CERTS_DIR}/master.key`;
/** StateDirectory= names: the data dirs are /var/lib/<name>. */
const MASTER_STATE = 'governor-master';
const AGENT_STATE = 'governor-agent';

/**
 * Characters a value may not contain to go into an ExecStart= line as it is: whitespace and quotes split or
 * group words, `\` escapes, `%` is a specifier and `$` a variable reference.
 */
const UNSAFE = /[\s"'\\%$;]/;

/** Why `value` cannot go into a unit line unquoted, or undefined when it can. */
export function unitValueProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  const bad = UNSAFE.exec(value);
  if (bad) return `contains ${JSON.stringify(bad[0])}, which systemd would interpret in ExecStart=`;
  return undefined;
}

const HEADER = (what: string): string =>
  `# ${what}\n` +
  '# Written by `gov install-units` (its text: master/cli/systemd-units.ts). README: "Running in production".\n';

export function masterUnit(s: UnitSettings): string {
  return (
    HEADER('Governor master: registry, execution log, dispatcher, admin API (gRPC with mutual TLS).') +
    `# Certificates: ${CERTS_DIR}/ca.crt, master.crt, master.key (\`gov certs init --dir ${CERTS_DIR} --host NAME\`);
# readable by the user below: ${MASTER_HOST_SETUP}
[Unit]
Description=Governor master (registry, dispatcher, admin API)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
# A system user of its own (${SYSUSERS_FILE}, made by systemd-sysusers), owner of its key and state only.
# Not DynamicUser= with LoadCredential=: systemd 252 (Debian 12) handed the credentials to the service
# user unreadable (0700 root) in our tests, so the master could not read its key.
User=${MASTER_USER}
Group=${MASTER_USER}
# Registry, execution log and rollouts: /var/lib/${MASTER_STATE}.
StateDirectory=${MASTER_STATE}
StateDirectoryMode=0700
ExecStart=${s.bin} master --listen ${s.listen} --data-dir /var/lib/${MASTER_STATE} --ca ${CERTS_DIR}/ca.crt --cert ${CERTS_DIR}/master.crt --key ${CERTS_DIR}/master.key
Restart=on-failure
RestartSec=2s
# SIGTERM: the master closes its stores and exits; its log goes to the journal (journalctl -u ${MASTER_UNIT}).
TimeoutStopSec=30s
UMask=0077

# Hardening: the master only serves sockets and writes its state directory.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectProc=invisible
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EPERM
# Not MemoryDenyWriteExecute=: Node's JIT compiler needs memory that is writable and executable.

[Install]
WantedBy=multi-user.target
`
  );
}

export function agentUnit(s: UnitSettings): string {
  const mode = s.handlers
    ? `--handlers ${s.handlers}`
    : `--master ${s.masterAddress} --ca ${CERTS_DIR}/ca.crt --cert ${CERTS_DIR}/agent.crt --key ${CERTS_DIR}/agent.key`;
  return (
    HEADER("Governor agent: supervises this host's handlers, which outlive it (stop, restart, upgrade).") +
    (s.handlers
      ? `# Standalone: the handlers of ${s.handlers}, no master.\n`
      : `# Certificates: ${CERTS_DIR}/ca.crt, agent.crt, agent.key (this agent's certificate; its CN is the agent id).\n`) +
    `[Unit]
Description=Governor agent (supervises this host's handlers; they outlive it)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${s.bin} agent ${mode} --data-dir /var/lib/${AGENT_STATE}
# The non-owning promise. systemd's default, KillMode=control-group, signals every process in the unit's
# cgroup on stop and restart: every handler would die with each agent upgrade. With KillMode=process only
# the agent gets SIGTERM (then SIGKILL after TimeoutStopSec=); it leaves the handlers running, and the next
# agent re-adopts them. systemd logs "left-over process" lines for them at the next start: expected.
KillMode=process
TimeoutStopSec=30s
# The agent makes a cgroup per handler under its own and moves processes between them (cgroup v2:
# <its cgroup>/governor/...). Delegate=yes hands it that subtree, which systemd then leaves alone.
Delegate=yes
Restart=on-failure
RestartSec=2s
# Handlers live in this unit's cgroup: the unit's task limit would count them, and stop them forking.
TasksMax=infinity
# A handler killed by the kernel for memory (its own limit, cgroup v2 counts it in this unit) is the
# agent's to report and restart; the default, OOMPolicy=stop, would stop the agent.
OOMPolicy=continue
# Handles, cached specs and the handlers' stdout/stderr logs: /var/lib/${AGENT_STATE}. The agent's own
# log goes to the journal (journalctl -u ${AGENT_UNIT}).
StateDirectory=${AGENT_STATE}
StateDirectoryMode=0700

# Root: the agent starts handlers as the users their specs name, signals processes of every user, reads
# their /proc entries and writes cgroupfs.
User=root
# Hardening stays light on purpose: handlers are the agent's children and inherit its sandbox. Left out:
#  ProtectSystem=, ProtectHome=, PrivateTmp=, PrivateDevices=, ReadOnlyPaths=: a mount namespace that
#   handlers would run in too (their /tmp, /home, /usr, /dev and writes to /sys/fs/cgroup);
#  NoNewPrivileges=, RestrictSUIDSGID=: handlers may run setuid programs (sudo, ping) and make such files;
#  CapabilityBoundingSet=, SystemCallFilter=, RestrictAddressFamilies=, RestrictNamespaces=: whatever a
#   handler needs (raw sockets, containers, its own namespaces) would be denied;
#  ProtectProc=, ProcSubset=: the agent reads /proc of every handler and of attached processes;
#  ProtectControlGroups=: makes /sys/fs/cgroup read-only;
#  MemoryDenyWriteExecute=: Node's JIT (and the handlers' own) needs writable executable memory.
# Kept: what no handler should do.
LockPersonality=yes

[Install]
WantedBy=multi-user.target
`
  );
}

/** The sysusers.d declaration of the master's user (`systemd-sysusers` makes it). */
export function sysusersFile(): string {
  return (
    '# The system user of governor-master.service. Written by `gov install-units`; `systemd-sysusers` makes it.\n' +
    `u ${MASTER_USER} - "Governor master" /var/lib/${MASTER_STATE}\n`
  );
}

/** A file `gov install-units` writes: a unit (into the unit directory) or the sysusers.d declaration. */
export interface RenderedFile {
  kind: 'unit' | 'sysusers';
  name: string;
  text: string;
}

/** Every file, by name, rendered with `s`. */
export function renderUnits(s: UnitSettings): RenderedFile[] {
  return [
    { kind: 'unit', name: MASTER_UNIT, text: masterUnit(s) },
    { kind: 'unit', name: AGENT_UNIT, text: agentUnit(s) },
    { kind: 'sysusers', name: SYSUSERS_FILE, text: sysusersFile() },
  ];
}
