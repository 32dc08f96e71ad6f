// Generates, from proto/governor/v1/*.proto into proto/generated/ (committed): the TypeScript types, and
// descriptor.json, the parsed definitions that shared/proto.ts loads at run time instead of parsing the .proto
// files at every start.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The file shared/proto.ts loads (relative to proto/generated/). */
export const DESCRIPTOR_FILE = 'descriptor.json';

/**
 * The definitions as protobufjs JSON (protobufjs as @grpc/proto-loader uses it, parsed with the runtime's
 * keepCase), which proto-loader's fromJSON() turns into the same package definition as loadSync() of the
 * .proto files.
 */
function writeDescriptor(protoDir, files, outDir) {
  const require = createRequire(import.meta.url);
  const protobuf = createRequire(require.resolve('@grpc/proto-loader'))('protobufjs');
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoDir, target));
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  const json = root.toJSON({ keepComments: false });
  writeFileSync(path.join(outDir, DESCRIPTOR_FILE), `${JSON.stringify(json, null, 2)}\n`);
}

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
  writeDescriptor(protoDir, files, outDir);
}

if (import.meta.url === `file://${process.argv[1]}`) generate(path.resolve('proto/generated'));
