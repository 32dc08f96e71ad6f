/**
 * Command ids of executions: `<execution id>-<8 hex>`. The execution id is part of the command id, so a
 * result that arrives after the master gave up on the command — even after a master restart — finds its
 * execution in the (persisted) execution log with nothing else stored. The master sends each command
 * once (it never retries; asking again is a new execution), so one execution has one command id.
 */
import { randomUUID } from 'node:crypto';

const SUFFIX = /-[0-9a-f]{8}$/;

/** The id of the command that carries out execution `executionId`. */
export function commandIdFor(executionId: string): string {
  return `${executionId}-${randomUUID().slice(0, 8)}`;
}

/** The execution a command id belongs to, or null for commands that are not executions (metrics, logs). */
export function executionIdOf(commandId: string): string | null {
  return SUFFIX.test(commandId) ? commandId.replace(SUFFIX, '') : null;
}
