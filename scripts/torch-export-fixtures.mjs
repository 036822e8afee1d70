// Writes the descent → PyTorch exports of scripts/torch-export-cases.mjs into a directory
// (<name>.safetensors, <name>.py, manifest.json with inputs and descent's logits), with the
// built dist/node. Run by scripts/torch-export-fixtures.py; see there.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as d from '../dist/node/index.js';
import { cases } from './torch-export-cases.mjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/torch-export-fixtures.mjs OUTDIR');
mkdirSync(dir, { recursive: true });
await d.init({ isa: 'simd' });
const fixtures = JSON.parse(readFileSync(new URL('../test/fixtures/torch-import.json', import.meta.url), 'utf8'));
const importFixture = (name) => {
  const m = fixtures.models.find((x) => x.name === name);
  return { bytes: new Uint8Array(readFileSync(new URL(`../test/fixtures/${m.file}`, import.meta.url))), python: m.python };
};
const manifest = { cases: [] };
for (const c of cases(d, importFixture)) {
  writeFileSync(join(dir, `${c.name}.safetensors`), c.exported.safetensors);
  writeFileSync(join(dir, `${c.name}.py`), c.exported.python);
  manifest.cases.push({ name: c.name, inputs: Array.from(c.inputs), logits: c.logits });
}
writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
