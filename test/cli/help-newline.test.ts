/**
 * Every help text and usage error `gov` prints ends with a newline, so the shell prompt never lands on its
 * last line: the index, the help of every command and subcommand, and commander's own errors.
 */
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { govProgram, main } from '../../master/cli/gov-program.js';
import { captureIO } from './fake-admin.js';

/** `[['ps'], ['rollout'], ['rollout', 'restart'], …]`: every command path of the program, daemons included. */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => {
    const p = [...prefix, c.name()];
    return [p, ...commandPaths(c, p)];
  });
}

describe('gov help and usage errors end with a newline', () => {
  it('the index and the help of every command and subcommand', async () => {
    // Completion loads every command's module, so the program below holds their own definitions.
    assert.equal(await main(['completion', 'bash'], captureIO()), 0);
    const paths = [[], ...commandPaths(govProgram())];
    assert.ok(paths.some((p) => p.join(' ') === 'rollout restart'));
    for (const p of paths) {
      for (const args of [
        [...p, '--help'],
        ['help', ...p],
      ]) {
        const io = captureIO();
        assert.equal(await main(args, io), 0, `gov ${args.join(' ')}: ${io.stderr}`);
        assert.match(io.stdout, /^usage: gov|^gov — /, `gov ${args.join(' ')}`);
        assert.ok(io.stdout.endsWith('\n'), `gov ${args.join(' ')} ends without a newline`);
      }
    }
  });

  it('an unknown command, an unknown flag, a missing argument and an unknown subcommand', async () => {
    for (const args of [
      ['frobnicate'],
      ['ps', '--bogus'],
      ['start'],
      ['rollout', 'nope'],
      ['help', 'nope'],
    ]) {
      const io = captureIO();
      assert.equal(await main(args, io), 2, `gov ${args.join(' ')}`);
      assert.match(io.stderr, /^error: /);
      assert.ok(io.stderr.endsWith('\n'), `gov ${args.join(' ')}: ${JSON.stringify(io.stderr)}`);
    }
  });
});
