// Original file: proto/governor/v1/admin.proto


export interface StatsRequest {
}

export interface StatsRequest__Output {
}
