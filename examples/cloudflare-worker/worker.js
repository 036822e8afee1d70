// A Cloudflare Worker that trains a digits classifier on its first request, then answers
// predictions:
//
//   GET  /                                   → {"accuracy":0.978,"isa":"relaxed-simd","gcCleanup":true}
//   GET  /predict?pixels=0,0,5,13,9,1,0,0,…  → {"digit":4,…}   64 pixel counts 0..16, row by row
//   POST /predict  {"pixels":[0,0,5,13,…]}    → the same
//
// Workers may not compile WebAssembly at run time, so the wasm file is imported as a module
// (workerd and wrangler turn a `.wasm` import into a compiled WebAssembly.Module) and handed to
// init({ module }).

import { init, backend, digits, trainTestSplit, Model, fit, evaluate } from 'descentjs';
import wasm from 'descentjs/wasm/relaxed-simd.wasm';

let trained; // a promise of { model, summary }, shared by the requests of this isolate

async function train() {
  const engine = await init({ module: wasm });
  const { train, test } = trainTestSplit(digits(), { testFraction: 0.2, seed: 1 });
  const model = new Model(engine, {
    inputs: 64, loss: 'softmax-cross-entropy', seed: 1,
    layers: [{ units: 64, activation: 'tanh' }, { units: 10 }],
  });
  fit(model, train, { epochs: 10, batchSize: 32, lr: 0.2, seed: 1 });
  const { isa, gcCleanup } = backend(); // gcCleanup is false before compatibility date 2025-05-05 (no FinalizationRegistry)
  const summary = { accuracy: evaluate(model, test).accuracy, isa, gcCleanup };
  console.log(`accuracy ${(100 * summary.accuracy).toFixed(1)}% isa ${isa}`);
  return { model, summary };
}

/** 64 pixel counts (0..16) from ?pixels=… or a JSON body { pixels: […] }, scaled as digits() scales them. */
async function pixels(request, url) {
  const values = request.method === 'POST'
    ? (await request.json()).pixels
    : (url.searchParams.get('pixels') ?? '').split(',').map(Number);
  if (!Array.isArray(values) || values.length !== 64 || !values.every((v) => Number.isFinite(v) && v >= 0 && v <= 16)) return undefined;
  return Float32Array.from(values, (v) => v / 16);
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    trained ??= train();
    const { model, summary } = await trained;
    if (url.pathname === '/') return Response.json(summary);
    if (url.pathname === '/predict') {
      const x = await pixels(request, url);
      if (!x) return Response.json({ error: 'send 64 pixel counts 0..16: ?pixels=0,0,5,… or POST {"pixels":[…]}' }, { status: 400 });
      const [digit] = model.predictLabels(x);
      return Response.json({ digit, ...summary });
    }
    return new Response('not found\n', { status: 404 });
  },
};
