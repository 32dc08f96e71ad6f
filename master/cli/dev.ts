/** `gov dev`: master + one local agent + demo handlers, dev certs made automatically. */
import type { CliIO } from '../../shared/cli-io.js';

export async function runDev(_args: string[], io: CliIO): Promise<number> {
  io.err('gov dev: not built yet\n');
  return 1;
}
