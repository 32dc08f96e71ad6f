// Original file: proto/governor/v1/admin.proto


export interface TailLogsResponse {
  'lines'?: (string)[];
}

export interface TailLogsResponse__Output {
  'lines': (string)[];
}
