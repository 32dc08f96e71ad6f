// Original file: proto/governor/v1/admin.proto


export interface ListAgentsRequest {
}

export interface ListAgentsRequest__Output {
}
