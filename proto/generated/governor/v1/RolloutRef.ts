// Original file: proto/governor/v1/admin.proto


export interface RolloutRef {
  'id'?: (string);
}

export interface RolloutRef__Output {
  'id': (string);
}
