// Build everything `npm ci` / `npm run build` produce:
//   build/descent-simd.wasm, build/descent-relaxed.wasm   asc, from assembly/ (asconfig.json)
//   dist/node/index.js, dist/browser/index.js            esbuild ESM bundles with the wasm inline
//   dist/cli.js                                           the `descent` command (node)
//   dist/types/*.d.ts                                     tsc declarations
// Usage: node scripts/build.mjs [--wasm-only] [--if-stale]
//   --if-stale: do nothing when every output is newer than every input (assembly/, src/, the
//   configs, this script). `prepare` uses it: `npx descent` installs the project itself as a
//   file: dependency, which runs `prepare` again — without it the first `npx descent train`
//   after `npm ci` spent ~45 s rebuilding what npm ci had just built.
import { execFileSync } from 'node:child_process';
import { rmSync, mkdirSync, chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const run = (cmd, args) => execFileSync(process.execPath, [require.resolve(cmd), ...args], { stdio: 'inherit' });
const t0 = performance.now();

if (process.argv.includes('--if-stale')) {
  const newest = (path) => {
    const s = statSync(path);
    if (!s.isDirectory()) return s.mtimeMs;
    return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
  };
  const inputs = ['assembly', 'src', 'package.json', 'asconfig.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'];
  const outputs = ['build/descent-simd.wasm', 'build/descent-relaxed.wasm', 'dist/node/index.js', 'dist/browser/index.js', 'dist/cli.js', 'dist/types/index.d.ts'];
  if (outputs.every((f) => existsSync(f))) {
    const oldestOutput = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
    if (inputs.filter((f) => existsSync(f)).every((f) => newest(f) < oldestOutput)) {
      console.log('build: up to date');
      process.exit(0);
    }
  }
}

mkdirSync('build', { recursive: true });
for (const target of ['simd', 'relaxed']) {
  run('assemblyscript/bin/asc.js', ['--config', 'asconfig.json', '--target', target]);
}
if (process.argv.includes('--wasm-only')) process.exit(0);

rmSync('dist', { recursive: true, force: true });
const common = {
  entryPoints: ['src/index.ts'],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  loader: { '.wasm': 'binary' },
  sourcemap: true,
  logLevel: 'warning',
};
await esbuild.build({ ...common, platform: 'node', outfile: 'dist/node/index.js' });
await esbuild.build({ ...common, platform: 'browser', outfile: 'dist/browser/index.js', external: ['node:*'] });
// cli-progress is CommonJS and requires node built-ins: give the ESM bundle a require()
await esbuild.build({ ...common, entryPoints: ['src/cli/main.ts'], platform: 'node', outfile: 'dist/cli.js',
  banner: { js: "import { createRequire as __descentCreateRequire } from 'node:module'; const require = __descentCreateRequire(import.meta.url);" } });
chmodSync('dist/cli.js', 0o755);
run('typescript/bin/tsc', ['-p', 'tsconfig.build.json']);
console.log(`build: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
