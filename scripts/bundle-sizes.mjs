// Sizes of two typical apps bundled with esbuild (minified, browser, ESM): a training app and an
// inference-only app, each importing the library from a source tree. Prints raw and gzip bytes
// of the JS, how many wasm builds the JS carries inline, and the wasm file it loads at run time.
// Usage: node scripts/bundle-sizes.mjs [--src DIR] [--json]
//   --src DIR   a checkout whose src/index.ts to bundle (default: this one). For the sizes of an
//               older commit: git worktree add /tmp/old <commit>, build its wasm there
//               (node scripts/build.mjs --wasm-only with this node_modules linked), then --src /tmp/old.
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const args = process.argv.slice(2);
const src = resolve(args.includes('--src') ? args[args.indexOf('--src') + 1] : new URL('..', import.meta.url).pathname);
const json = args.includes('--json');

const APPS = {
  training: `import { init, digits, trainTestSplit, Model, fit, evaluate, optimizer, saveModel } from 'descentjs';
const engine = await init();
const { train, test } = trainTestSplit(digits(), { testFraction: 0.2, seed: 1 });
const model = new Model(engine, { inputs: 64, loss: 'softmax-cross-entropy', seed: 1, layers: [{ units: 64, activation: 'tanh' }, { units: 10 }] });
fit(model, train, { epochs: 20, optimizer: optimizer('adam', { lr: 3e-3 }) });
console.log(evaluate(model, test), saveModel(model).length);`,
  inference: `import { init, loadModel } from 'descentjs';
const engine = await init();
const model = loadModel(engine, new Uint8Array(await (await fetch('model.safetensors')).arrayBuffer()));
console.log(model.predictLabels(new Float32Array(64)));`,
};

// descentjs/embedded (one build inline), where the tree has it
if (existsSync(join(src, 'src/embedded.ts'))) APPS['inference, embedded'] = APPS.inference.replace("from 'descentjs'", "from 'descentjs/embedded'");

const rows = [];
for (const [name, contents] of Object.entries(APPS)) {
  const r = await esbuild.build({
    stdin: { contents, resolveDir: src, loader: 'js', sourcefile: `${name}.js` },
    bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false,
    external: ['node:*'], loader: { '.wasm': 'binary' }, logLevel: 'error',
    alias: { 'descentjs/embedded': join(src, 'src/embedded.ts'), descentjs: join(src, 'src/index.ts') },
    define: { __DESCENT_WASM_DIR__: '"./"' },
  });
  const js = r.outputFiles[0].contents;
  const text = Buffer.from(js).toString('latin1');
  const inline = text.split('AGFzbQ').length - 1; // "\0asm" in base64: one per embedded module
  const wasm = ['wasm/simd.wasm', 'build/descent-simd.wasm'].map((f) => join(src, f)).find(existsSync);
  const wasmBytes = inline ? 0 : wasm ? readFileSync(wasm).length : 0;
  rows.push({
    app: name, js: js.length, jsGzip: gzipSync(js, { level: 9 }).length, inlineBuilds: inline,
    wasmFile: wasmBytes, wasmFileGzip: wasmBytes ? gzipSync(readFileSync(wasm), { level: 9 }).length : 0,
  });
}
if (json) console.log(JSON.stringify(rows));
else {
  console.log(`source: ${src}`);
  console.log('app                  JS min    JS gzip   wasm builds inline   wasm file loaded (gzip)');
  for (const r of rows) {
    console.log(`${r.app.padEnd(20)} ${String(r.js).padStart(8)}  ${String(r.jsGzip).padStart(8)}   ${String(r.inlineBuilds).padStart(18)}   ${r.wasmFile ? `${r.wasmFile} (${r.wasmFileGzip})` : '—'}`);
  }
}
