/** The pure authorization decision, the role table against the proto, and the agent-id rule. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  ADMIN_SERVICE_PREFIX,
  AGENT_CONNECT_METHOD,
  READ_ONLY_ADMIN_METHODS,
  authorize,
  checkAgentId,
  peerIdentity,
  type AuthDecision,
} from '../../master/api/auth.js';
import { PermissionError } from '../../shared/errors.js';
import { PROTO_DIR, loadProtos } from '../../shared/proto.js';

const admin = (m: string) => ADMIN_SERVICE_PREFIX + m;
const refused = (d: AuthDecision): { code: grpc.status; reason: string } => {
  assert.equal(d.ok, false, 'expected a refusal');
  return d as { ok: false; code: grpc.status; reason: string };
};

/** Every Admin RPC and whether admin.proto marks it read-only (the comment line right above it). */
function adminRpcsFromProto(): Map<string, boolean> {
  const lines = readFileSync(path.join(PROTO_DIR, 'governor/v1/admin.proto'), 'utf8').split('\n');
  const out = new Map<string, boolean>();
  lines.forEach((line, i) => {
    const m = /^\s*rpc\s+(\w+)\s*\(/.exec(line);
    if (m?.[1]) out.set(admin(m[1]), /^\s*\/\/\s*read-only/.test(lines[i - 1] ?? ''));
  });
  return out;
}

describe('security: authorize()', function () {
  const agent = { cn: 'edge-1', ou: 'agent' };
  const adm = { cn: 'alice', ou: 'admin' };
  const viewer = { cn: 'bob', ou: 'viewer' };

  it('the read-only set is exactly the RPCs admin.proto marks read-only, and covers the loaded service', () => {
    const fromProto = adminRpcsFromProto();
    const loaded = Object.values(loadProtos().admin.governor.v1.Admin.service).map((d) => d.path);
    assert.deepEqual([...fromProto.keys()].sort(), [...loaded].sort());
    const readOnly = [...fromProto].filter(([, ro]) => ro).map(([m]) => m);
    assert.deepEqual(readOnly.sort(), [...READ_ONLY_ADMIN_METHODS].sort());
    assert.equal(loadProtos().link.governor.v1.AgentLink.service.Connect.path, AGENT_CONNECT_METHOD);
  });

  it('agent: only AgentLink/Connect', () => {
    assert.deepEqual(authorize(AGENT_CONNECT_METHOD, agent), {
      ok: true,
      identity: { cn: 'edge-1', role: 'agent' },
    });
    for (const m of adminRpcsFromProto().keys()) {
      const r = refused(authorize(m, agent));
      assert.equal(r.code, grpc.status.PERMISSION_DENIED);
      assert.match(
        r.reason,
        /^certificate CN=edge-1 OU=agent may not call Admin\/\w+: agent certificates may only/,
      );
    }
  });

  it('admin: every Admin RPC, not the agent stream', () => {
    for (const m of adminRpcsFromProto().keys()) assert.equal(authorize(m, adm).ok, true, m);
    const r = refused(authorize(AGENT_CONNECT_METHOD, adm));
    assert.equal(r.code, grpc.status.PERMISSION_DENIED);
    assert.match(r.reason, /only agent certificates may open the agent stream/);
  });

  it('viewer: read-only RPCs only, with the reason', () => {
    for (const [m, ro] of adminRpcsFromProto()) {
      const d = authorize(m, viewer);
      assert.equal(d.ok, ro, m);
    }
    assert.equal(
      refused(authorize(admin('Apply'), viewer)).reason,
      'certificate CN=bob OU=viewer may not call Admin/Apply: viewer is read-only',
    );
    assert.equal(refused(authorize(AGENT_CONNECT_METHOD, viewer)).code, grpc.status.PERMISSION_DENIED);
  });

  it('no certificate, no CN, unknown or ambiguous OU, unknown method', () => {
    assert.equal(refused(authorize(admin('ListAgents'), null)).code, grpc.status.UNAUTHENTICATED);
    assert.equal(
      refused(authorize(admin('ListAgents'), { cn: '', ou: 'admin' })).code,
      grpc.status.UNAUTHENTICATED,
    );
    const odd = refused(authorize(admin('ListAgents'), { cn: 'x', ou: 'ops' }));
    assert.equal(odd.code, grpc.status.PERMISSION_DENIED);
    assert.match(odd.reason, /CN=x OU=ops .* no single Governor role/);
    assert.equal(authorize(admin('ListAgents'), { cn: 'x', ou: ['agent', 'admin'] }).ok, false);
    assert.equal(
      authorize(admin('Apply'), { cn: 'x', ou: ['eng', 'admin'] }).ok,
      true,
      'one role among other OUs',
    );
    assert.match(refused(authorize('/grpc.health.v1.Health/Check', adm)).reason, /unknown method/);
  });

  it('revoked agents are refused; revocation is per agent and only for agent certificates', () => {
    const isRevoked = (id: string) => id === 'edge-1';
    const r = refused(authorize(AGENT_CONNECT_METHOD, agent, { isRevoked }));
    assert.equal(r.code, grpc.status.UNAUTHENTICATED);
    assert.match(r.reason, /CN=edge-1 OU=agent is revoked/);
    assert.equal(authorize(AGENT_CONNECT_METHOD, { cn: 'edge-2', ou: 'agent' }, { isRevoked }).ok, true);
    assert.equal(authorize(admin('Apply'), { cn: 'edge-1', ou: 'admin' }, { isRevoked }).ok, true);
  });

  it('peerIdentity reads CN/OU from a TLS peer certificate', () => {
    assert.equal(peerIdentity(undefined), null);
    const cert = { subject: { CN: 'edge-1', OU: 'agent', O: 'Governor' } } as never;
    assert.deepEqual(peerIdentity(cert), { cn: 'edge-1', ou: 'agent' });
    const multi = { subject: { CN: 'a', OU: ['x', 'admin'] } } as never;
    assert.deepEqual(peerIdentity(multi), { cn: 'a', ou: ['x', 'admin'] });
  });

  it('checkAgentId: an agent connects only under its own CN', () => {
    assert.doesNotThrow(() => checkAgentId({ cn: 'edge-1', role: 'agent' }, 'edge-1'));
    assert.throws(
      () => checkAgentId({ cn: 'edge-1', role: 'agent' }, 'edge-2'),
      (err: Error) =>
        err instanceof PermissionError && /CN=edge-1 may not connect as agent "edge-2"/.test(err.message),
    );
    assert.throws(() => checkAgentId({ cn: 'edge-1', role: 'admin' }, 'edge-1'), PermissionError);
  });
});
