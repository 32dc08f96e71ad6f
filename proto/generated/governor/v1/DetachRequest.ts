// Original file: proto/governor/v1/admin.proto


export interface DetachRequest {
  'agent'?: (string);
  'name'?: (string);
}

export interface DetachRequest__Output {
  'agent': (string);
  'name': (string);
}
