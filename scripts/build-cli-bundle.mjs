// `npm run build` (after tsc): bundles the `gov` program (master/cli/gov-program.ts and everything it imports,
// npm packages included) into dist/master/cli/gov-bundle.js plus one chunk per lazily loaded part (a command's
// module, the daemons, the PKI), which the `gov` binary (dist/master/cli/gov.js) imports. Loading one file per
// part instead of a few hundred modules is most of a `gov` command's start (issue 10). The chunks sit beside
// gov.js so that the URLs the CLI's modules resolve from their own place (../main.js,
// ../../../package.json) hold as in the tsc build. The agent (`gov agent`) is in the bundle too, in chunks of
// its own: the files it locates (the native addons, proto/) are searched for upward from its place. The
// metafile (what each chunk holds) is written beside the chunks: the lazy-load test reads it to tell which
// modules and packages a command loaded.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist', 'master', 'cli');
const PREFIX = 'gov-bundle';

// Chunk names carry a content hash: the previous build's are removed first.
for (const f of readdirSync(OUT, { withFileTypes: true }))
  if (f.isFile() && f.name.startsWith(PREFIX)) rmSync(path.join(OUT, f.name));

const result = await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: { [PREFIX]: 'master/cli/gov-program.ts' },
  entryNames: '[name]',
  chunkNames: `${PREFIX}-[name]-[hash]`,
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  // grpc-js requires the proto loader (and through it protobufjs's .proto parser) only to serve channelz
  // or ORCA, which gov does not: left out, it is still found in node_modules should it ever be required.
  // etcd3 (HA masters, loaded only with --store etcd) reads its .proto files from beside its own modules.
  external: ['@grpc/proto-loader', 'etcd3'],
  // CommonJS packages inside an ES module bundle call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as __govRequire } from 'node:module';const require=__govRequire(import.meta.url);",
  },
});
writeFileSync(path.join(OUT, `${PREFIX}.meta.json`), JSON.stringify(result.metafile));
