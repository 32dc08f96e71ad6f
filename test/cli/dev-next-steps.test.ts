/**
 * `gov dev` tells a newcomer how to run the next commands: plain `gov` when the `gov` on PATH is this very
 * binary (an installed package, `npm link`), else `node <its path>` — never advice that would not work.
 */
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { govInvocation } from '../../master/cli/dev.js';
import { tempDir } from '../helpers/common.js';

const GOV_JS = fileURLToPath(new URL('../../master/cli/gov.js', import.meta.url));

describe('gov dev next steps', () => {
  it('say `gov` when the gov on PATH is this binary (a symlink to it, as npm installs it)', () => {
    const bin = tempDir();
    symlinkSync(GOV_JS, path.join(bin, 'gov'));
    assert.equal(govInvocation(['/nonexistent', bin].join(path.delimiter)), 'gov');
  });

  it('say `node <path>` when no gov is on PATH, or another one is', () => {
    assert.equal(govInvocation('/nonexistent'), `node ${GOV_JS}`);
    const other = tempDir();
    writeFileSync(path.join(other, 'gov'), '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(govInvocation(other), `node ${GOV_JS}`);
  });
});
