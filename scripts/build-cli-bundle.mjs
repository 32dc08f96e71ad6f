// `npm run build` (after tsc): bundles the `gov` program (master/cli/gov-program.ts and everything it imports,
// npm packages included) into dist/master/cli/gov-bundle.js plus one chunk per lazily loaded part (a command's
// module, the daemons, the PKI), which the `gov` binary (dist/master/cli/gov.js) imports. Loading one file per
// part instead of a few hundred modules is most of a `gov` command's start (issue 10). The chunks sit beside
// gov.js so that the URLs the CLI's modules resolve from their own place (../main.js, ../../agent/main.js,
// ../../../package.json) hold as in the tsc build. agent/ stays out (gov-program.ts imports it by URL at
// run time, from the tsc build).
// gRPC and protobufjs go to one CommonJS file of their own (gov-bundle-vendor.cjs), which the chunks load
// through V8's code cache (master/cli/code-cache.ts): an ES module cannot use one on Node 20.
// The metafile (what each file holds) is written beside the chunks: the lazy-load test reads it to tell
// which modules and packages a command loaded.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist', 'master', 'cli');
const PREFIX = 'gov-bundle';
const VENDOR_FILE = `${PREFIX}-vendor.cjs`;
/** The packages in the vendor file, as the sources import them. */
const VENDOR = ['@grpc/grpc-js', 'protobufjs/light.js'];
/** Namespace of the modules standing for a vendor package in the chunks. */
const NS = 'gov-vendor';

const common = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
  // grpc-js requires the proto loader (and through it protobufjs's .proto parser) only to serve channelz
  // or ORCA, which gov does not: left out, it is still found in node_modules should it ever be required.
  external: ['@grpc/proto-loader'],
};

// Chunk names carry a content hash: the previous build's are removed first.
for (const f of readdirSync(OUT, { withFileTypes: true }))
  if (f.isFile() && f.name.startsWith(PREFIX)) rmSync(path.join(OUT, f.name));

const vendor = await esbuild.build({
  ...common,
  stdin: {
    contents: `module.exports = {${VENDOR.map((p) => `${JSON.stringify(p)}: require(${JSON.stringify(p)})`).join(',')}};`,
    resolveDir: ROOT,
    sourcefile: `${NS}.cjs`,
  },
  format: 'cjs',
  outfile: path.join(OUT, VENDOR_FILE),
});

/** In the chunks, a vendor package is a module re-exporting it from the vendor file (names as at build). */
const vendorPlugin = {
  name: NS,
  setup(build) {
    const filter = new RegExp(
      `^(${VENDOR.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`,
    );
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: NS }));
    build.onResolve({ filter: /^gov-vendor-file$/ }, () => ({ path: 'file', namespace: NS }));
    build.onLoad({ filter: /.*/, namespace: NS }, (args) => {
      if (args.path === 'file')
        return {
          resolveDir: ROOT,
          contents:
            `import { fileURLToPath } from 'node:url';\n` +
            `import { requireWithCodeCache } from './master/cli/code-cache.ts';\n` +
            `export const vendor = requireWithCodeCache(fileURLToPath(new URL('./${VENDOR_FILE}', import.meta.url))).exports;\n`,
        };
      const names = Object.keys(createRequire(path.join(ROOT, 'package.json'))(args.path)).filter(
        (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default' && k !== '__esModule',
      );
      return {
        resolveDir: ROOT,
        contents:
          `import { vendor } from 'gov-vendor-file';\n` +
          `const m = vendor[${JSON.stringify(args.path)}];\nexport default m;\n` +
          `export const { ${names.join(', ')} } = m;\n`,
      };
    });
  },
};

const result = await esbuild.build({
  ...common,
  entryPoints: { [PREFIX]: 'master/cli/gov-program.ts' },
  entryNames: '[name]',
  chunkNames: `${PREFIX}-[name]-[hash]`,
  outdir: OUT,
  splitting: true,
  format: 'esm',
  sourcemap: 'linked',
  plugins: [vendorPlugin],
  // CommonJS packages inside an ES module bundle call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as __govRequire } from 'node:module';const require=__govRequire(import.meta.url);",
  },
});
const outputs = { ...result.metafile.outputs, ...vendor.metafile.outputs };
writeFileSync(path.join(OUT, `${PREFIX}.meta.json`), JSON.stringify({ ...result.metafile, outputs }));
