// Writes the descent → PyTorch CNN exports of scripts/torch-cnn-cases.mjs into a directory
// (<name>.safetensors, <name>.py, manifest.json with inputs and descent's logits). Run by
// scripts/torch-cnn-fixtures.py; see there. It bundles src/ itself (esbuild, into .tmp/) rather
// than reading dist/node, so it needs no `npm run build` and leaves the wasm and dist/ alone.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/torch-cnn-fixtures.mjs OUTDIR');
mkdirSync(dir, { recursive: true });
const tmp = join('.tmp', `torch-cnn-${process.pid}`);
const bundle = join(tmp, 'index.js');
await esbuild.build({
  entryPoints: ['src/index.ts'], bundle: true, format: 'esm', target: 'es2022', platform: 'node', outfile: bundle,
  loader: { '.wasm': 'binary' }, define: { __DESCENT_WASM_DIR__: JSON.stringify('../../wasm/') }, logLevel: 'warning',
});
try {
  const d = await import(pathToFileURL(bundle).href);
  await d.init({ isa: 'simd' });
  const { cnnCases } = await import('./torch-cnn-cases.mjs');
  const manifest = { cases: [] };
  for (const c of cnnCases(d)) {
    writeFileSync(join(dir, `${c.name}.safetensors`), c.exported.safetensors);
    writeFileSync(join(dir, `${c.name}.py`), c.exported.python);
    manifest.cases.push({ name: c.name, inputs: Array.from(c.inputs), logits: c.logits, describe: c.model.describe() });
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
