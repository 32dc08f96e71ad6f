/** A ProcessBackend that forwards every call to another one: decorators override only what they change. */
import type {
  ExitStatus,
  Handle,
  MainProcess,
  ProcessBackend,
  RecoverResult,
  ShimProcess,
  SpawnRequest,
  Spawned,
} from './backend.js';

export class BackendDecorator implements ProcessBackend {
  constructor(protected readonly inner: ProcessBackend) {}
  get spawnUnavailable(): string | undefined {
    return this.inner.spawnUnavailable;
  }

  spawn(req: SpawnRequest): Spawned {
    return this.inner.spawn(req);
  }
  isRunning(handle: Handle): boolean {
    return this.inner.isRunning(handle);
  }
  recover(handle: Handle): RecoverResult {
    return this.inner.recover(handle);
  }
  readExit(handle: Handle): ExitStatus | null {
    return this.inner.readExit(handle);
  }
  groupOwned(handle: Handle): boolean {
    return this.inner.groupOwned(handle);
  }
  signalGroup(handle: Handle, signal: NodeJS.Signals): boolean {
    return this.inner.signalGroup(handle, signal);
  }
  findMain(handle: Handle): MainProcess | null {
    return this.inner.findMain(handle);
  }
  signalMain(handle: Handle, signal: NodeJS.Signals): boolean {
    return this.inner.signalMain(handle, signal);
  }
  signalStray(handle: Handle, signal: NodeJS.Signals): boolean {
    return this.inner.signalStray(handle, signal);
  }
  strayAlive(handle: Handle): boolean {
    return this.inner.strayAlive(handle);
  }
  processLives(p: MainProcess): boolean {
    return this.inner.processLives(p);
  }
  groupAlive(handle: Handle): boolean {
    return this.inner.groupAlive(handle);
  }
  cgroupMembers(handle: Handle): number[] {
    return this.inner.cgroupMembers(handle);
  }
  cgroupPopulated(handle: Handle): boolean {
    return this.inner.cgroupPopulated(handle);
  }
  watchCgroup(handle: Handle, onChange: () => void): (() => void) | null {
    return this.inner.watchCgroup?.(handle, onChange) ?? null;
  }
  signalCgroup(
    handle: Handle,
    signal: NodeJS.Signals,
    spare?: ReadonlySet<number>,
    groupSignalled?: number,
  ): number {
    return this.inner.signalCgroup(handle, signal, spare, groupSignalled);
  }
  findDaemon(handle: Handle, pidFile?: string): MainProcess | null {
    return this.inner.findDaemon(handle, pidFile);
  }
  listShims(runDir: string): ShimProcess[] {
    return this.inner.listShims(runDir);
  }
}
