/**
 * `gov completion bash|zsh` completes from the same commander definitions that parse the commands:
 * commands, subcommands, flags, flag values and positional choices, driven the way the shell does.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { govProgram, main } from '../../master/cli/gov-program.js';
import { tempDir } from '../helpers/common.js';
import { captureIO } from './fake-admin.js';

async function script(shell: string): Promise<string> {
  const io = captureIO();
  assert.equal(await main(['completion', shell], io), 0, io.stderr);
  assert.equal(io.stderr, '');
  return io.stdout;
}

/** Sources the bash script and completes each line (the last word is the one under the cursor). */
function completeBash(file: string, lines: string[][]): string[][] {
  const calls = lines
    .map((words) => {
      const quoted = words.map((w) => `'${w}'`).join(' ');
      return `COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _gov; echo "\${COMPREPLY[*]}"`;
    })
    .join('\n');
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', `source '${file}'\n${calls}`], {
    encoding: 'utf8',
    cwd: tempDir(),
  });
  return out
    .split('\n')
    .slice(0, lines.length)
    .map((l) => l.split(' ').filter(Boolean));
}

describe('gov completion', () => {
  it('bash: gov roll<TAB> completes to rollout, and gov rollout <TAB> lists its subcommands', async () => {
    const file = path.join(tempDir(), 'gov.bash');
    writeFileSync(file, await script('bash'));
    const rolloutSubs = govProgram()
      .commands.find((c) => c.name() === 'rollout')!
      .commands.map((c) => c.name());
    const [roll, rollout, onFailure, certsIssue, top, flags] = completeBash(file, [
      ['gov', 'roll'],
      ['gov', 'rollout', ''],
      ['gov', 'rollout', 'restart', 'web', '--on-failure', ''],
      ['gov', 'certs', 'issue', ''],
      ['gov', ''],
      ['gov', 'ps', '--ag'],
    ]);
    assert.deepEqual(roll, ['rollout']);
    assert.deepEqual(rollout, ['restart', 'status', 'pause', 'resume', 'abort']);
    assert.deepEqual(rollout, rolloutSubs, 'the subcommands as defined');
    assert.deepEqual(onFailure, ['pause', 'abort', 'rollback'], 'a flag value written a|b|c');
    assert.deepEqual(certsIssue, ['agent', 'admin', 'viewer'], 'a positional written a|b|c');
    assert.deepEqual(
      top,
      govProgram()
        .commands.filter((c) => c.name() !== 'version')
        .map((c) => c.name()),
      'every listed command',
    );
    assert.deepEqual(flags, ['--agent']);
  });

  it('bash: knows gov signal and the target flags of the commands that take TARGETs', async () => {
    const file = path.join(tempDir(), 'gov.bash');
    writeFileSync(file, await script('bash'));
    const [sig, main, restartFlags, deleteFlags] = completeBash(file, [
      ['gov', 'sig'],
      ['gov', 'signal', 'HUP', 'web', '--m'],
      ['gov', 'restart', '--s'],
      ['gov', 'delete', '--a'],
    ]);
    assert.deepEqual(sig, ['signal']);
    assert.deepEqual(main, ['--main', '--master']);
    assert.deepEqual(restartFlags, ['--selector']);
    assert.deepEqual(deleteFlags, ['--all', '--agent']);
  });

  it('zsh: the script parses (zsh -n) or, without zsh, defines the completion for every command', async () => {
    const text = await script('zsh');
    const zsh = spawnSync('zsh', ['--version']);
    if (!zsh.error) {
      const file = path.join(tempDir(), '_gov');
      writeFileSync(file, text);
      const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    assert.match(text, /^#compdef gov$/m);
    assert.match(text, /^compdef _gov gov$/m);
    for (const cmd of govProgram().commands.filter((c) => c.name() !== 'version'))
      assert.match(text, new RegExp(`"" *\\) echo "[^"]*\\b${cmd.name()}\\b`), cmd.name());
    assert.match(text, /"rollout"\) echo "restart status pause resume abort"/);
  });

  it('an unknown shell is a usage error (exit 2)', async () => {
    const io = captureIO();
    assert.equal(await main(['completion', 'fish'], io), 2);
    assert.match(
      io.stderr,
      /^error: unknown shell "fish": expected bash or zsh\nusage: gov completion bash\|zsh/,
    );
  });
});
