// Original file: proto/governor/v1/admin.proto


export interface GroupStats {
  'total'?: (number);
  'success'?: (number);
  'error'?: (number);
  'success_rate'?: (number | string);
  'avg_duration_ms'?: (number | string);
}

export interface GroupStats__Output {
  'total': (number);
  'success': (number);
  'error': (number);
  'success_rate': (number);
  'avg_duration_ms': (number);
}
