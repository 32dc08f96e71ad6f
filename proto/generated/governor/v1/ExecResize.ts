// Original file: proto/governor/v1/admin.proto


export interface ExecResize {
  'rows'?: (number);
  'cols'?: (number);
}

export interface ExecResize__Output {
  'rows': (number);
  'cols': (number);
}
