// Build everything `npm ci` / `npm run build` produce:
//   wasm/simd.wasm, wasm/relaxed-simd.wasm   asc, from assembly/ (asconfig.json; .wat text in build/)
//   wasm/simd-threads.wasm, wasm/relaxed-simd-threads.wasm   the same on shared memory (threads)
//   dist/browser/index.js   the ESM bundle for every runtime (the package's only one): reads
//                           ../../wasm/*.wasm from disk where node:fs is at hand (Node, Deno,
//                           Bun), fetches it elsewhere, or takes init({ module | wasm })
//   dist/node/index.js      the same code built for platform node: the repo's scripts, benches
//                           and tests import it; not shipped
//   dist/embedded/index.js  the plain-SIMD module's bytes, registered, and everything of
//                           ../browser/index.js re-exported (one build only)
//   dist/cli.js             the `descent` command (node)
//   dist/types/*.d.ts       tsc declarations
// No bundle carries wasm bytes except dist/embedded; none has source maps (the package ships
// dist/ and wasm/ only, see package.json "files").
// Usage: node scripts/build.mjs [--wasm-only] [--if-stale]
//   --if-stale: do nothing when every output is newer than every input (assembly/, src/, the
//   configs, this script). `prepare` uses it: `npx descent` installs the project itself as a
//   file: dependency, which runs `prepare` again — without it the first `npx descent train`
//   after `npm ci` spent ~45 s rebuilding what npm ci had just built.
// Outputs are replaced by rename, so a test or another build reading them never sees a half
// file: asc writes to build/, esbuild and tsc to a temporary folder that replaces dist/.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const run = (cmd, args) => execFileSync(process.execPath, [require.resolve(cmd), ...args], { stdio: 'inherit' });
const t0 = performance.now();

/** Bundles: [entry, outfile (under dist/), platform, folder of the .wasm files relative to it]. */
const BUNDLES = [
  ['src/index.ts', 'node/index.js', 'node', '../../wasm/'],
  ['src/index.ts', 'browser/index.js', 'browser', '../../wasm/'],
  ['src/embedded.ts', 'embedded/index.js', 'browser', '../../wasm/'],
  ['src/train/worker-entry.ts', 'node/train-worker.js', 'node', '../../wasm/'],
  ['src/train/worker-entry.ts', 'browser/train-worker.js', 'browser', '../../wasm/'],
  ['src/cli/main.ts', 'cli.js', 'node', '../wasm/'],
].filter(([entry]) => existsSync(entry));

if (process.argv.includes('--if-stale')) {
  const newest = (path) => {
    const s = statSync(path);
    if (!s.isDirectory()) return s.mtimeMs;
    return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
  };
  const inputs = ['assembly', 'src', 'package.json', 'asconfig.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'];
  const outputs = ['wasm/simd.wasm', 'wasm/relaxed-simd.wasm', 'wasm/simd-threads.wasm', 'wasm/relaxed-simd-threads.wasm', ...BUNDLES.map(([, out]) => join('dist', out)), 'dist/types/index.d.ts'];
  if (outputs.every((f) => existsSync(f))) {
    const oldestOutput = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
    if (inputs.filter((f) => existsSync(f)).every((f) => newest(f) < oldestOutput)) {
      console.log('build: up to date');
      process.exit(0);
    }
  }
}

const tag = `${process.pid}-${Date.now()}`;
mkdirSync('build', { recursive: true });
mkdirSync('wasm', { recursive: true });
// the four asc targets compile in parallel (each ~10 s alone)
await Promise.all(['simd', 'relaxed', 'simd-threads', 'relaxed-threads'].map((target) => new Promise((resolve, reject) => {
  execFile(process.execPath, [require.resolve('assemblyscript/bin/asc.js'), '--config', 'asconfig.json', '--target', target], (err, stdout, stderr) => {
    process.stdout.write(stdout); process.stderr.write(stderr);
    if (err) reject(new Error(`asc --target ${target} failed`)); else resolve();
  });
})));
for (const name of ['simd.wasm', 'relaxed-simd.wasm', 'simd-threads.wasm', 'relaxed-simd-threads.wasm']) {
  const tmp = join('wasm', `.${name}.${tag}`);
  copyFileSync(join('build', name), tmp);
  renameSync(tmp, join('wasm', name));
}
if (process.argv.includes('--wasm-only')) process.exit(0);

const out = join('.tmp', `dist-${tag}`);
rmSync(out, { recursive: true, force: true });
for (const [entry, file, platform, wasmDir] of BUNDLES) {
  const cli = file === 'cli.js';
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform,
    outfile: join(out, file),
    loader: { '.wasm': 'binary' },
    define: wasmDir === '../../wasm/' ? {} : { __DESCENT_WASM_DIR__: JSON.stringify(wasmDir) }, // see wasm-source.ts
    external: platform === 'browser' ? ['node:*'] : [],
    logLevel: 'warning',
    // cli-progress is CommonJS and requires node built-ins: give the CLI's ESM bundle a require()
    // the embedded entry is the bytes plus the browser bundle, imported (not a second copy)
    plugins: entry === 'src/embedded.ts' ? [{
      name: 'descent-embedded-imports-browser',
      setup(b) { b.onResolve({ filter: /^\.\/index\.js$/ }, (a) => (a.importer.endsWith('embedded.ts') ? { path: '../browser/index.js', external: true } : undefined)); },
    }] : [],
    banner: cli ? { js: "import { createRequire as __descentCreateRequire } from 'node:module'; const require = __descentCreateRequire(import.meta.url);" } : undefined,
    // The CLI carries its own copy of the library (it imports internals the public bundle does
    // not export), so it is the one bundle stripped of whitespace: 286 → 256 KB gzipped, which
    // keeps the package under 1 MB (test/pack.test.ts). Names and statements are unchanged:
    // stack traces still name functions, and threadKit's source (sent to workers) still runs.
    minifyWhitespace: cli,
  });
  if (cli) chmodSync(join(out, file), 0o755);
}
run('typescript/bin/tsc', ['-p', 'tsconfig.build.json', '--outDir', join(out, 'types')]);
const old = join('.tmp', `dist-old-${tag}`);
if (existsSync('dist')) renameSync('dist', old);
renameSync(out, 'dist');
rmSync(old, { recursive: true, force: true });
console.log(`build: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
