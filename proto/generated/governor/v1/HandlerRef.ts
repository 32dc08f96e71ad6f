// Original file: proto/governor/v1/admin.proto


export interface HandlerRef {
  'handler'?: (string);
}

export interface HandlerRef__Output {
  'handler': (string);
}
