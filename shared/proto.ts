/**
 * Loads the wire contract (proto/governor/v1) once and exposes typed service definitions. It loads the
 * definitions already parsed at build time (proto/generated/descriptor.json, written by `npm run gen:proto`
 * beside the types and checked by the lint step like them), not the .proto files: parsing those took a
 * good part of every `gov` command's start.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AdminProto } from '../proto/generated/admin.js';
import type { ProtoGrpcType as AgentLinkProto } from '../proto/generated/agent_link.js';

/** proto/ at the repo root (this file runs from dist/shared/). */
export const PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto');

/** The parsed definitions of every .proto file under PROTO_DIR (protobufjs JSON; proto/gen-types.mjs). */
export const PROTO_DESCRIPTOR = path.join(PROTO_DIR, 'generated', 'descriptor.json');

/** How the definitions become JavaScript objects (the same options as proto/gen-types.mjs's types). */
export const PROTO_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Largest message either side accepts (bytes); bigger ones are refused with RESOURCE_EXHAUSTED. */
/**
 * The agent-link protocol of this build: Hello.protocol and Welcome.protocol carry it and each side refuses
 * the other's on a mismatch. Raise it with every change that makes builds misread each other (2: handler
 * specs as typed messages instead of JSON strings; 3: InstanceStatus.pid is the handler's main process, SIGNAL).
 */
export const AGENT_LINK_PROTOCOL = 3;

export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

let loaded: { admin: AdminProto; link: AgentLinkProto } | null = null;

export function loadProtos(): { admin: AdminProto; link: AgentLinkProto } {
  if (loaded) return loaded;
  const json = JSON.parse(readFileSync(PROTO_DESCRIPTOR, 'utf8')) as Record<string, unknown>;
  const def = protoLoader.fromJSON(json, PROTO_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as unknown as AdminProto & AgentLinkProto;
  loaded = { admin: pkg, link: pkg };
  return loaded;
}
