/** The handler's environment and identity as composed from the spec and the agent (no processes). */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { prepareLaunch, SETPRIV, type LaunchContext } from '../../agent/instance/launch.js';
import { parseHandler, parseHandlersFile, type HandlerSpec } from '../../shared/spec.js';
import { tempDir } from '../helpers/common.js';

function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler({ name: 'web', command: ['node', 'server.js'], ...raw }, 'handlers[0]', 'h.yaml');
}

function accounts(): LaunchContext['accounts'] {
  const dir = tempDir();
  const passwd = path.join(dir, 'passwd');
  const group = path.join(dir, 'group');
  writeFileSync(
    passwd,
    'root:x:0:0:root:/root:/bin/bash\n# comment\nalice:x:1001:1002:Alice:/home/alice:/bin/sh\n',
  );
  writeFileSync(group, 'root:x:0:\nstaff:x:50:alice\nalice:x:1002:\n');
  return { passwd, group };
}

const AGENT_ENV = {
  PATH: '/usr/bin:/bin',
  HOME: '/root',
  USER: 'root',
  LANG: 'C.UTF-8',
  AWS_SECRET_ACCESS_KEY: 'agent-secret',
  GOV_KEY: '/etc/governor/agent.key',
  DB_URL: 'postgres://x',
};

function ctx(over: Partial<LaunchContext> = {}): LaunchContext {
  return { agentId: 'edge-1', agentEnv: AGENT_ENV, uid: 0, gid: 0, accounts: accounts(), ...over };
}

describe('handler launch: environment and identity', () => {
  it('a handler gets only PATH LANG HOME USER TZ of the agent, its env, and GOV_* (no secret)', () => {
    const { env, prefix } = prepareLaunch(spec({ env: { PORT: '8080' } }), 2, ctx());
    assert.deepEqual(env, {
      PATH: '/usr/bin:/bin',
      HOME: '/root',
      USER: 'root',
      LANG: 'C.UTF-8',
      PORT: '8080',
      GOV_HANDLER: 'web',
      GOV_INSTANCE: 'web#2',
      GOV_AGENT: 'edge-1',
      GOV_INSTANCE_INDEX: '2',
    });
    assert.deepEqual(prefix, []);
  });

  it('inherit_env widens what is inherited; the spec env wins over inherited values', () => {
    const { env } = prepareLaunch(
      spec({ inherit_env: ['DB_URL', 'NOT_SET'], env: { PATH: '/opt/bin' } }),
      0,
      ctx(),
    );
    assert.equal(env.DB_URL, 'postgres://x');
    assert.equal(env.PATH, '/opt/bin');
    assert.ok(!('NOT_SET' in env));
    assert.ok(!('AWS_SECRET_ACCESS_KEY' in env));
    // Names an object inherits are no variables of the agent's: nothing is passed for them.
    const odd = prepareLaunch(spec({ inherit_env: ['toString', 'constructor', 'hasOwnProperty'] }), 0, ctx());
    assert.deepEqual(
      ['toString', 'constructor', 'hasOwnProperty'].filter((k) => Object.hasOwn(odd.env, k)),
      [],
    );
  });

  it('user: drops to that user through setpriv (the shim stays), with its HOME and USER', () => {
    const { env, prefix } = prepareLaunch(spec({ user: 'alice' }), 0, ctx());
    assert.deepEqual(prefix, [SETPRIV, '--reuid=1001', '--regid=1002', '--init-groups', '--']);
    assert.equal(env.HOME, '/home/alice');
    assert.equal(env.USER, 'alice');
    const g = prepareLaunch(spec({ user: 1001, group: 'staff' }), 0, ctx()).prefix;
    assert.deepEqual(g, [SETPRIV, '--reuid=1001', '--regid=50', '--init-groups', '--']);
    const bare = prepareLaunch(spec({ user: 4242, group: 4242 }), 0, ctx());
    assert.deepEqual(bare.prefix, [SETPRIV, '--reuid=4242', '--regid=4242', '--clear-groups', '--']);
    assert.equal(bare.env.HOME, '/');
  });

  it('an unknown user or group is a clear error naming the key and the machine file', () => {
    const c = ctx();
    assert.throws(
      () => prepareLaunch(spec({ user: 'bogus' }), 0, c),
      /^ValidationError: user: "bogus" is not a user on this machine \(not in .*passwd\)/,
    );
    assert.throws(
      () => prepareLaunch(spec({ group: 'nogroup-x' }), 0, c),
      /group: "nogroup-x" is not a group on this machine/,
    );
    assert.throws(
      () => prepareLaunch(spec({ user: 4242 }), 0, c),
      /uid 4242 has no entry .*: give group: too/,
    );
  });

  it('an agent that is not root refuses another user, and runs its own user without setpriv', () => {
    const c = ctx({ uid: 1001, gid: 1002 });
    assert.throws(
      () => prepareLaunch(spec({ user: 'root' }), 0, c),
      /PermissionError: user:\/group: the agent runs as uid 1001 gid 1002, not as root, so it cannot run web as uid 0 gid 0/,
    );
    assert.throws(() => prepareLaunch(spec({ group: 'staff' }), 0, c), /cannot run web as uid 1001 gid 50/);
    const own = prepareLaunch(spec({ user: 'alice' }), 0, c);
    assert.deepEqual(own.prefix, []);
    assert.equal(own.env.USER, 'alice');
  });
});

describe('handler spec: identity keys', () => {
  const refuse = (raw: Record<string, unknown>, re: RegExp): void => {
    assert.throws(() => spec(raw), re);
  };

  it('refuses a spec env key starting with GOV_, naming file and key', () => {
    refuse(
      { env: { GOV_AGENT: 'other' } },
      /^ValidationError: h\.yaml: handlers\[0\]\.env\.GOV_AGENT: GOV_\* variables are reserved/,
    );
  });

  it('validates inherit_env names, user and group', () => {
    refuse({ inherit_env: 'HOME' }, /h\.yaml: handlers\[0\]\.inherit_env: must be a list of strings/);
    refuse(
      { inherit_env: ['OK', 'BAD-NAME'] },
      /handlers\[0\]\.inherit_env\[1\]: "BAD-NAME" is not a variable name/,
    );
    refuse(
      { inherit_env: ['GOV_INSTANCE'] },
      /handlers\[0\]\.inherit_env\[0\]: GOV_INSTANCE is set by the agent/,
    );
    refuse({ user: 'a b' }, /handlers\[0\]\.user: "a b" is not a user\/group name or numeric id/);
    refuse({ group: -1 }, /handlers\[0\]\.group: -1 must be a non-empty string/);
    refuse({ user: '' }, /handlers\[0\]\.user: "" must be a non-empty string/);
    const s = spec({ inherit_env: ['DB_URL'], user: 'nobody', group: 65534 });
    assert.deepEqual([s.inherit_env, s.user, s.group], [['DB_URL'], 'nobody', '65534']);
    const plain = parseHandlersFile('handlers:\n  - {name: a, command: [x]}\n', 'f.yaml')[0]!;
    assert.ok(
      !('inherit_env' in plain) && !('user' in plain),
      'absent keys stay absent (spec hashes unchanged)',
    );
  });
});
