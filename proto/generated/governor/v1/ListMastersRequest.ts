// Original file: proto/governor/v1/admin.proto


export interface ListMastersRequest {
}

export interface ListMastersRequest__Output {
}
