// Generates TypeScript types for proto/governor/v1/*.proto into proto/generated/ (committed).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function generate(outDir) {
  const protoDir = path.resolve('proto');
  const files = readdirSync(path.join(protoDir, 'governor', 'v1'))
    .filter((f) => f.endsWith('.proto'))
    .sort()
    .map((f) => `governor/v1/${f}`);
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(
    path.resolve('node_modules/.bin/proto-loader-gen-types'),
    [
      ...files,
      '--keepCase',
      '--longs=String',
      '--enums=String',
      '--defaults',
      '--oneofs',
      '--includeComments',
      '--grpcLib=@grpc/grpc-js',
      '--importFileExtension=.js',
      `--outDir=${outDir}`,
      `--includeDirs=${protoDir}`,
    ],
    { stdio: 'inherit' },
  );
  // Make the output independent of where the checkout lives.
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else
        writeFileSync(
          p,
          readFileSync(p, 'utf8')
            .split(protoDir + '/')
            .join('proto/'),
        );
    }
  };
  walk(outDir);
}

if (import.meta.url === `file://${process.argv[1]}`) generate(path.resolve('proto/generated'));
