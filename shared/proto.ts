/**
 * Loads the wire contract (proto/governor/v1) once and exposes typed service definitions. It loads the
 * definitions already parsed at build time (proto/generated/descriptor.json, written by `npm run gen:proto`
 * beside the types and checked by the lint step like them) into protobufjs without its .proto parser, and
 * makes the gRPC service definitions from them the way @grpc/proto-loader does (same conversions; a test
 * compares the two), without proto-loader's descriptor machinery: parsing the .proto files and building
 * every message's descriptor took a good part of every `gov` command's start.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';
import type { ProtoGrpcType as AdminProto } from '../proto/generated/admin.js';
import type { ProtoGrpcType as AgentLinkProto } from '../proto/generated/agent_link.js';
import { Encoded } from './wire-bytes.js';

/**
 * proto/ at the repo root: the nearest folder above this module that holds proto/generated/descriptor.json
 * (this file runs from dist/shared/, or from the CLI bundle in dist/master/cli/).
 */
export const PROTO_DIR = findProtoDir(path.dirname(fileURLToPath(import.meta.url)));

function findProtoDir(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const proto = path.join(dir, 'proto');
    if (existsSync(path.join(proto, 'generated', 'descriptor.json'))) return proto;
    if (path.dirname(dir) === dir) return path.resolve(from, '../../proto'); // loadProtos() names what is missing
  }
}

/** The parsed definitions of every .proto file under PROTO_DIR (protobufjs JSON; proto/gen-types.mjs). */
export const PROTO_DESCRIPTOR = path.join(PROTO_DIR, 'generated', 'descriptor.json');

/**
 * How received messages become JavaScript objects: 64-bit integers and enums as strings, defaults for
 * absent fields, the name of the field set in a oneof (the options proto/gen-types.mjs's types assume;
 * field names are kept as written: the descriptor is parsed with keepCase).
 */
export const PROTO_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Largest message either side accepts (bytes); bigger ones are refused with RESOURCE_EXHAUSTED. */
/**
 * The agent-link protocol of this build: Hello.protocol and Welcome.protocol carry it and each side refuses
 * the other's on a mismatch. Raise it with every change that makes builds misread each other (2: handler
 * specs as typed messages instead of JSON strings; 3: InstanceStatus.pid is the handler's main process,
 * SIGNAL; 4: spec type/pid_file/limits.pids, which an older agent would ignore; 5: notify, start_timeout, watchdog,
 * idle_cpu, idle_action, frozen_timeout, ENSURE hold_ms and RELEASE; 6: spec policies, which an older agent
 * would ignore, and the agent's PolicyReport).
 */
export const AGENT_LINK_PROTOCOL = 6;

export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

let loaded: { admin: AdminProto; link: AgentLinkProto; root: protobuf.Root } | null = null;

/**
 * Encodes a message given as a plain object (fields checked and converted by fromObject), or sends one
 * given as its wire bytes (shared/wire-bytes.ts) as it is.
 */
function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (value instanceof Encoded) return value.toBuffer();
    if (Array.isArray(value))
      throw new Error(`Failed to serialize message: expected ${type.name}, got an array`);
    const bytes = type.encode(type.fromObject(value)).finish();
    // protobufjs's writer in Node already returns a Buffer: a view, not a copy of every message.
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), PROTO_OPTIONS);
}

/** A service's methods as gRPC method definitions (what @grpc/proto-loader makes of them). */
function serviceDefinition(service: protobuf.Service): grpc.ServiceDefinition {
  const name = service.fullName.replace(/^\./, '');
  const methods = service.methodsArray.map((m) => {
    const request = m.resolvedRequestType!;
    const response = m.resolvedResponseType!;
    const def: grpc.MethodDefinition<object, object> = {
      path: `/${name}/${m.name}`,
      requestStream: !!m.requestStream,
      responseStream: !!m.responseStream,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      originalName: m.name.charAt(0).toLowerCase() + m.name.slice(1),
    };
    return [m.name, def] as const;
  });
  return Object.fromEntries(methods);
}

/** The services of the wire contract (its message types are used through the generated TypeScript types only). */
export function loadProtos(): { admin: AdminProto; link: AgentLinkProto } {
  return load();
}

function load(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const root = protobuf.Root.fromJSON(
    JSON.parse(readFileSync(PROTO_DESCRIPTOR, 'utf8')) as protobuf.INamespace,
  );
  root.resolveAll();
  const services: Parameters<typeof grpc.loadPackageDefinition>[0] = {};
  for (const fqn of ['governor.v1.Admin', 'governor.v1.AgentLink'])
    services[fqn] = serviceDefinition(root.lookupService(fqn));
  const pkg = grpc.loadPackageDefinition(services) as unknown as AdminProto & AgentLinkProto;
  loaded = { admin: pkg, link: pkg, root };
  return loaded;
}

const fieldNumbers = new Map<string, number>();

/** The number of field `field` of message `type` (`governor.v1.ExecFrame`, `stdout`), for wire-bytes.ts. */
export function fieldNumber(type: string, field: string): number {
  const key = `${type}.${field}`;
  let n = fieldNumbers.get(key);
  if (n === undefined) {
    const f = load().root.lookupType(type).fields[field];
    if (!f) throw new Error(`${type} has no field ${field}`);
    fieldNumbers.set(key, (n = f.id));
  }
  return n;
}
