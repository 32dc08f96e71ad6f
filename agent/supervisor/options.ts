/**
 * The supervisor's options: what callers may set, with documented defaults, compiled once into a
 * validated, fully-required object (durations in ms).
 */
import os from 'node:os';
import { DEFAULT_START_TIMEOUT_MS } from '../../shared/handler-waits.js';
import { silentLogger, type Logger } from '../../shared/logger.js';
import type { ProcessBackend } from '../process/backend.js';
import { DEFAULT_CGROUP_ROOT } from '../process/cgroups.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { DEFAULT_DISCOVER_INTERVAL_MS, type DiscoverRule } from '../observed/discovery.js';
import type { LaunchContext } from '../instance/launch.js';
import type { Probe } from '../health/probe.js';
import type { Loaded } from '../native/linux-sockets.js';
import { LinuxBackend } from '../process/linux-backend.js';
import { NO_FREEZER, type Freezer } from '../process/freezer.js';
import { SpawnPacer } from '../process/spawn-pacer.js';
import { BOOT_HOLD_MS, BootSlots } from '../instance/boot-slots.js';

export interface SupervisorOptions {
  dataDir: string;
  backend?: ProcessBackend;
  clock?: Clock;
  logger?: Logger;
  /** Random source for backoff jitter (tests pass a constant). */
  random?: () => number;
  /** How often adopted processes are checked for liveness (own children report exits as events). Default 1s. */
  pollIntervalMs?: number;
  /** How often log sizes are checked for rotation. Default 10s. */
  logCheckIntervalMs?: number;
  /**
   * How long a start may stay unconfirmed (no READY=1 of a `notify: true` handler, a `type: forking`
   * handler's first process still running) before it fails, where the spec sets no `start_timeout`
   * (systemd's TimeoutStartSec). Default DEFAULT_START_TIMEOUT_MS.
   */
  startTimeoutMs?: number;
  /** The expected metrics sampling interval; the sampler forgets the CPU time of PIDs unsampled for 2× this. Default 5s. */
  metricsIntervalMs?: number;
  /** Health probe override (tests). Default: real tcp/http/exec probes. */
  probe?: Probe;
  /**
   * The cgroup filesystem root (default /sys/fs/cgroup): each handler's tracking cgroup (none → process
   * groups, one warning) and advisory limits (unusable → one warning, unlimited).
   */
  cgroupRoot?: string;
  /** Discovery rules (observe-only) and the scan interval (default 10s). */
  discover?: DiscoverRule[];
  discoverIntervalMs?: number;
  /** GOV_AGENT for handlers: the agent's id. Default: this machine's hostname. */
  agentId?: string;
  /**
   * The sd_notify socket (agent/notify/receiver.ts): the native helpers (tests pass an unavailable one) and
   * a root agent's socket directory (default /run/governor).
   */
  notify?: { native?: Loaded; rootDir?: string };
  /** The agent's environment; handlers get only its PATH LANG HOME USER TZ (and inherit_env). Default process.env. */
  agentEnv?: Record<string, string | undefined>;
  /**
   * How many rollout steps of handlers with a readiness signal may boot at once (instance/boot-slots.ts); 0: no
   * pacing. Default: DEFAULT_BOOTS_PER_CPU per CPU of the machine.
   */
  bootConcurrency?: number;
  /** The longest a rollout step holds its boot slot (tests). Default BOOT_HOLD_MS. */
  bootHoldMs?: number;
}

/**
 * Boots at once per CPU by default: a boot also waits (the exec, its files, the first health probe), so one per
 * CPU left the CPUs half idle; 2 per CPU kept them busy and each boot still short (operator bench).
 */
export const DEFAULT_BOOTS_PER_CPU = 2;

export interface CompiledOptions {
  dataDir: string;
  backend: ProcessBackend;
  clock: Clock;
  logger: Logger;
  random: () => number;
  pollIntervalMs: number;
  logCheckIntervalMs: number;
  startTimeoutMs: number;
  metricsIntervalMs: number;
  probe?: Probe;
  cgroupRoot: string;
  discover: DiscoverRule[];
  discoverIntervalMs: number;
  launch: LaunchContext;
  notify: { native?: Loaded; rootDir?: string };
  /** One spawn at a time with the event loop turning in between (process/spawn-pacer.ts). */
  spawnPacer: SpawnPacer;
  /** Rollout steps paced by boot (instance/boot-slots.ts). */
  bootSlots: BootSlots;
  /** The cgroup freezer (`idle_action: freeze`); set up by the supervisor once tracking is detected. */
  freezer: Freezer;
}

export function compileOptions(o: SupervisorOptions): CompiledOptions {
  const clock = o.clock ?? systemClock;
  return {
    dataDir: o.dataDir,
    backend: o.backend ?? new LinuxBackend(),
    clock,
    logger: (o.logger ?? silentLogger).named('supervisor'),
    random: o.random ?? Math.random,
    pollIntervalMs: o.pollIntervalMs ?? 1000,
    logCheckIntervalMs: o.logCheckIntervalMs ?? 10_000,
    startTimeoutMs: o.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    metricsIntervalMs: o.metricsIntervalMs ?? 5_000,
    ...(o.probe ? { probe: o.probe } : {}),
    cgroupRoot: o.cgroupRoot ?? DEFAULT_CGROUP_ROOT,
    discover: o.discover ?? [],
    discoverIntervalMs: o.discoverIntervalMs ?? DEFAULT_DISCOVER_INTERVAL_MS,
    launch: {
      agentId: o.agentId ?? os.hostname(),
      agentEnv: o.agentEnv ?? process.env,
      uid: process.geteuid?.() ?? 0,
      gid: process.getegid?.() ?? 0,
    },
    spawnPacer: new SpawnPacer(),
    bootSlots: new BootSlots(
      o.bootConcurrency ?? DEFAULT_BOOTS_PER_CPU * os.availableParallelism(),
      clock,
      o.bootHoldMs ?? BOOT_HOLD_MS,
    ),
    notify: o.notify ?? {},
    freezer: NO_FREEZER,
  };
}
