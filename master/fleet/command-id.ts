/**
 * Command ids of executions: `<execution id>-<8 hex>`. The execution id is part of the command id, so a
 * result that arrives after the master gave up on the command — even after a master restart — finds its
 * execution in the (persisted) execution log with nothing else stored.
 */
import { randomUUID } from 'node:crypto';

const SUFFIX = /-[0-9a-f]{8}$/;

/** A fresh command id for one attempt of execution `executionId`. */
export function commandIdFor(executionId: string): string {
  return `${executionId}-${randomUUID().slice(0, 8)}`;
}

/** The execution a command id belongs to, or null for commands that are not executions (metrics, logs). */
export function executionIdOf(commandId: string): string | null {
  return SUFFIX.test(commandId) ? commandId.replace(SUFFIX, '') : null;
}
