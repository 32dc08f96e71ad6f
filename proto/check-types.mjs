// Fails when proto/generated/ (the types and descriptor.json) is stale: regenerates into a temp dir and compares.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from './gen-types.mjs';

function list(dir, base = dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? list(p, base) : [path.relative(base, p)];
  });
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gov-proto-'));
try {
  generate(tmp);
  const committed = path.resolve('proto/generated');
  const a = list(tmp).sort();
  const b = list(committed).sort();
  const stale =
    a.length !== b.length ||
    a.some(
      (f, i) =>
        f !== b[i] ||
        readFileSync(path.join(tmp, f), 'utf8') !== readFileSync(path.join(committed, f), 'utf8'),
    );
  if (stale) {
    console.error('proto/generated is stale: run `npm run gen:proto` and commit the result');
    process.exit(1);
  }
  console.log('proto types up to date');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
