/**
 * Which Admin RPCs only read (those marked "read-only" in proto/governor/v1/admin.proto): viewers may call
 * them (master/api/auth.ts), and a client may repeat one on another master after the connection was lost
 * mid-call (master/cli/master-failover.ts), which it never does for a call that may have changed something.
 */
export const ADMIN_SERVICE_PREFIX = '/governor.v1.Admin/';

/** Full gRPC paths (`/governor.v1.Admin/ListAgents`) of the read-only Admin RPCs. */
export const READ_ONLY_ADMIN_METHODS: ReadonlySet<string> = new Set(
  [
    'ListAgents',
    'ListInstances',
    'GetMetrics',
    'ListExecutions',
    'GetStats',
    'TailLogs',
    'GetRollout',
    'ListRollouts',
    'Watch',
    'GetMetricsHistory',
    'ListPolicies',
    'ListMasters',
  ].map((m) => ADMIN_SERVICE_PREFIX + m),
);
