// Original file: proto/governor/v1/admin.proto


export interface MetricsRequest {
  'handler'?: (string);
  'agent'?: (string);
}

export interface MetricsRequest__Output {
  'handler': (string);
  'agent': (string);
}
