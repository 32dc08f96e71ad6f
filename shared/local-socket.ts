/**
 * Where an agent's local control socket lies by default, one rule for the agent (agent/options.ts) and
 * `gov --local` (master/cli/local.ts): `<data-dir>/gov.sock`, the data dir defaulting to
 * `data/agent-<ID>` under the working directory.
 */
import path from 'node:path';

export const LOCAL_SOCKET_FILE = 'gov.sock';

/** The agent's data dir when neither --data-dir nor the config names one. */
export function defaultAgentDataDir(cwd: string, id: string): string {
  return path.resolve(cwd, 'data', `agent-${id}`);
}
