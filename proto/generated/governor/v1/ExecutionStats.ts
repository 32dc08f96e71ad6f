// Original file: proto/governor/v1/admin.proto

import type { GroupStats as _governor_v1_GroupStats, GroupStats__Output as _governor_v1_GroupStats__Output } from '../../governor/v1/GroupStats.js';

export interface ExecutionStats {
  'total_executions'?: (number);
  'lifetime_executions'?: (number | string);
  'success_count'?: (number);
  'error_count'?: (number);
  'success_rate'?: (number | string);
  'avg_duration_ms'?: (number | string);
  'by_handler'?: ({[key: string]: _governor_v1_GroupStats});
  'by_agent'?: ({[key: string]: _governor_v1_GroupStats});
  'buffer_size'?: (number);
  'buffer_utilization'?: (number | string);
}

export interface ExecutionStats__Output {
  'total_executions': (number);
  'lifetime_executions': (number);
  'success_count': (number);
  'error_count': (number);
  'success_rate': (number);
  'avg_duration_ms': (number);
  'by_handler': ({[key: string]: _governor_v1_GroupStats__Output});
  'by_agent': ({[key: string]: _governor_v1_GroupStats__Output});
  'buffer_size': (number);
  'buffer_utilization': (number);
}
