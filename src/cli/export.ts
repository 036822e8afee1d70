// `descent export`: a saved model in another framework's format.
//
// A small table of formats, each a function from the model to the files it writes:
//   onnx   ONNX ModelProto (io/onnx/export.ts): input "input" [batch, features] taking raw
//          values (the file's preprocessing is in the graph unless --bare), outputs "logits" and
//          "probabilities"; opset 13, or 17 when the model has layer norm.
//   torch  a torch.nn.Sequential state_dict as safetensors plus its module definition (.py)
//          (io/torch/export.ts): FILE-torch.safetensors and FILE-torch.py by default; the .py
//          builds the nn.Sequential, loads the weights and applies the preprocessing (unless --bare).

import { ENGINE_FLAGS, ENGINE_HELP, engineOptions } from './engine-flags.js';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-file.js';
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine.js';
import { DescentError, fmtBytes } from '../engine/errors.js';
import { loadModel } from '../io/model-file.js';
import { exportOnnx } from '../io/onnx/export.js';
import { exportTorch } from '../io/torch/export.js';
import type { Model } from '../nn/model.js';

interface Format {
  about: string;
  extension: string;
  /** The files to write: [path, bytes or text]. */
  files(model: Model, out: string, bare: boolean): [string, Uint8Array | string][];
}

const FORMATS: Record<string, Format> = {
  onnx: {
    about: 'ONNX (opset 13; 17 with layer norm): "input" [batch, features] → "logits", "probabilities"',
    extension: '.onnx',
    files: (model, out, bare) => [[out, exportOnnx(model, { bare })]],
  },
  torch: {
    about: 'PyTorch: torch.nn.Sequential state_dict as safetensors, and its module as a .py beside it',
    extension: '-torch.safetensors',
    files: (model, out, bare) => {
      const e = exportTorch(model, { bare });
      return [[out, e.safetensors], [out.replace(/\.safetensors$/i, '') + '.py', e.python]];
    },
  },
};

export const EXPORT_HELP = `descent export — write a saved model in another format

Usage: descent export --format F --model FILE [--out PATH]

  --format F        ${Object.keys(FORMATS).join(' or ')} (default: from the --out extension)
${Object.entries(FORMATS).map(([k, f]) => `                      ${k.padEnd(6)} ${f.about}`).join('\n')}
  --model FILE      model file (safetensors) written by descent train or saveModel
  --out PATH        where to write (default: FILE with the format's extension)
  --bare            leave the model's input preprocessing out (inputs are then the prepared
                    values the network itself takes)
${ENGINE_HELP}  -h, --help        this text

The ONNX file runs in onnxruntime (node, web) with any batch size; its outputs equal descent's
predict(x, { output: 'logits' }) and predict(x) within 1e-5 on raw inputs.
`;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      format: { type: 'string' }, model: { type: 'string' }, out: { type: 'string' }, bare: { type: 'boolean' },
      ...ENGINE_FLAGS, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (v.help) {
    process.stdout.write(EXPORT_HELP);
    return 0;
  }
  if (v.model === undefined) throw new DescentError('export: --model FILE is required');
  // .onnx names its format; .safetensors could be descent's own or torch's
  const byExtension = v.out?.toLowerCase().endsWith('.onnx') ? 'onnx' : undefined;
  const name = v.format ?? byExtension;
  if (name === undefined) throw new DescentError(`export: --format is required (${Object.keys(FORMATS).join(', ')})`);
  const format = FORMATS[name];
  if (!format) throw new DescentError(`export: unknown format ${JSON.stringify(name)}; known: ${Object.keys(FORMATS).join(', ')}`);
  const out = v.out ?? v.model.replace(/(\.safetensors)?$/i, '') + format.extension;
  if (out === v.model) throw new DescentError(`export: --out ${out} would overwrite the model file`);
  const engine = await Engine.create(engineOptions(v));
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(v.model));
  } catch (e) {
    throw new DescentError(`export: cannot read --model ${v.model}: ${(e as Error).message}`);
  }
  const model = loadModel(engine, bytes, `--model ${v.model}`);
  const files = format.files(model, out, v.bare ?? false);
  for (const [path, data] of files) {
    writeFileAtomic(path, data);
    process.stdout.write(`wrote ${path} (${name}, ${fmtBytes(typeof data === 'string' ? Buffer.byteLength(data) : data.length)})\n`);
  }
  const pre = model.preprocess === undefined ? 'no input preprocessing' : v.bare ? 'input preprocessing left out (--bare)' : 'input preprocessing included';
  process.stdout.write(`${model.describe()}; ${pre}\n`);
  return 0;
}
