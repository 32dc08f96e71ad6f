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
import { PROTO_DESCRIPTOR, PROTO_DIR, PROTO_OPTIONS } from '../../shared/proto.js';
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

describe('proto descriptor (proto/generated/descriptor.json)', function () {
  this.timeout(120_000);

  it('defines the same messages, enums and services, with the same loader options, as the .proto files', () => {
    const files = ['governor/v1/admin.proto', 'governor/v1/agent_link.proto'];
    const parsed = protoLoader.loadSync(files, { ...PROTO_OPTIONS, includeDirs: [PROTO_DIR] });
    const prebuilt = protoLoader.fromJSON(
      JSON.parse(readFileSync(PROTO_DESCRIPTOR, 'utf8')) as Record<string, unknown>,
      PROTO_OPTIONS,
    );
    assert.deepEqual(Object.keys(prebuilt).sort(), Object.keys(parsed).sort());
    for (const name of Object.keys(parsed))
      assert.equal(comparable(prebuilt[name]), comparable(parsed[name]), name);
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
