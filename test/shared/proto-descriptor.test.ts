/**
 * The wire contract is loaded from proto/generated/descriptor.json (parsed at build time), not from the
 * .proto files: it must define exactly what the .proto files define, and the lint step's check
 * (proto/check-types.mjs) must fail as soon as it is stale.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/grpc-js';
import { PROTO_DESCRIPTOR, PROTO_DIR, loadProtos } from '../../shared/proto.js';
import { REPO_ROOT, tempDir } from '../helpers/common.js';

/** A definition without its functions and file descriptors (those differ in identity, not in meaning). */
function comparable(def: unknown): string {
  return JSON.stringify(def, (key, v: unknown) =>
    key === 'fileDescriptorProtos' || typeof v === 'function' ? undefined : v,
  );
}

/** A copy of proto/ (scripts, .proto files, generated output) beside the repo's node_modules. */
function protoCopy(): string {
  const dir = tempDir('gov-proto-check-');
  cpSync(PROTO_DIR, path.join(dir, 'proto'), { recursive: true });
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function check(dir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['proto/check-types.mjs'], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** The options the generated types (proto/gen-types.mjs) assume, spelled out: loadProtos() must use them. */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const parsed = (): protoLoader.PackageDefinition =>
  protoLoader.loadSync(['governor/v1/admin.proto', 'governor/v1/agent_link.proto'], {
    ...LOADER_OPTIONS,
    includeDirs: [PROTO_DIR],
  });

type Methods = Record<string, MethodDefinition<object, object>>;

describe('proto descriptor (proto/generated/descriptor.json)', function () {
  this.timeout(120_000);

  it('defines the same messages, enums and services, with the same loader options, as the .proto files', () => {
    const prebuilt = protoLoader.fromJSON(
      JSON.parse(readFileSync(PROTO_DESCRIPTOR, 'utf8')) as Record<string, unknown>,
      LOADER_OPTIONS,
    );
    const fromProto = parsed();
    assert.deepEqual(Object.keys(prebuilt).sort(), Object.keys(fromProto).sort());
    for (const name of Object.keys(fromProto))
      assert.equal(comparable(prebuilt[name]), comparable(fromProto[name]), name);
  });

  it("loadProtos()'s services encode and decode exactly as @grpc/proto-loader's of the .proto files", () => {
    const fromProto = parsed();
    const ours: Record<string, Methods> = {
      'governor.v1.Admin': loadProtos().admin.governor.v1.Admin.service as unknown as Methods,
      'governor.v1.AgentLink': loadProtos().link.governor.v1.AgentLink.service as unknown as Methods,
    };
    const samples: Record<string, object> = {
      'governor.v1.AgentLink/Connect requestSerialize': {
        status: { handler: 'web', state: 'running', pid: 42, shim_pid: 41, restarts: 3, events: [{}] },
      },
      'governor.v1.Admin/ListInstances responseSerialize': {
        instances: [{ agent: 'edge-1', status: { handler: 'web', pid: 42, last_exit: {} }, stale: true }],
      },
    };
    for (const [service, methods] of Object.entries(ours)) {
      const theirs = fromProto[service] as unknown as Methods;
      assert.deepEqual(Object.keys(methods).sort(), Object.keys(theirs).sort(), service);
      for (const [name, m] of Object.entries(methods)) {
        const t = theirs[name]!;
        const what = `${service}/${name}`;
        for (const k of ['path', 'requestStream', 'responseStream', 'originalName'] as const)
          assert.equal(m[k], t[k], `${what} ${k}`);
        for (const [ser, de] of [
          ['requestSerialize', 'requestDeserialize'],
          ['responseSerialize', 'responseDeserialize'],
        ] as const) {
          // Decoding nothing gives every default; encoding those (and a sample) gives the same bytes.
          const defaults = t[de](Buffer.alloc(0));
          assert.deepEqual(m[de](Buffer.alloc(0)), defaults, `${what} ${de}`);
          for (const value of [defaults, samples[`${what} ${ser}`]].filter((v): v is object => !!v)) {
            const bytes = t[ser](value);
            assert.deepEqual(m[ser](value), bytes, `${what} ${ser}`);
            assert.deepEqual(m[de](bytes), t[de](bytes), `${what} ${de} of a sample`);
          }
        }
      }
    }
  });

  it('the lint check passes on the committed output and fails when the descriptor or a .proto changed', () => {
    const fresh = check(protoCopy());
    assert.equal(fresh.status, 0, fresh.out);

    const tampered = protoCopy();
    const descriptor = path.join(tampered, 'proto', 'generated', 'descriptor.json');
    writeFileSync(descriptor, readFileSync(descriptor, 'utf8').replace('"ListAgents"', '"ListAgentz"'));
    const stale = check(tampered);
    assert.equal(stale.status, 1, stale.out);
    assert.match(stale.out, /proto\/generated is stale: run `npm run gen:proto`/);

    const changed = protoCopy();
    const common = path.join(changed, 'proto', 'governor', 'v1', 'common.proto');
    writeFileSync(common, `${readFileSync(common, 'utf8')}\nmessage AddedForTheTest {\n  string x = 1;\n}\n`);
    const behind = check(changed);
    assert.equal(behind.status, 1, behind.out);
    assert.match(behind.out, /proto\/generated is stale/);
  });
});
