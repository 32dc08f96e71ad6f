/** `gov master`: entry point of the master daemon. */
import type { CliIO } from '../shared/cli-io.js';

export async function runMaster(_args: string[], io: CliIO): Promise<number> {
  io.err('gov master: not built yet\n');
  return 1;
}
