// The descent → PyTorch fixture cases, shared by the dev-time generator
// (scripts/torch-export-fixtures.py runs scripts/torch-export-fixtures.mjs, which passes the
// built dist/node API) and by test/torch-io.test.ts (which passes the sources), so both make the
// same exports bit for bit. Cases 1–3 are seeded initial weights with biases, γ, β and running
// statistics set from a seeded Random (no training: their bytes depend on nothing but Random and
// exportTorch). Case 4 trains on the plain SIMD build with the 4×8 GEMM tile; its bytes follow
// the GEMM kernels' summation order, so the generator also commits that export
// (test/fixtures/torch/export-finetune-batchnorm.safetensors) and the test compares the
// regenerated one with it within 1e-5.
//
// cases(d, importFixture) → [{ name, model, exported: { safetensors, python }, inputs, logits }]
//   d              the descent API ({ createEngineSync, Model, exportTorch, importTorch, digits })
//   importFixture  (name) => { bytes, python }: a torch-made state_dict of
//                  test/fixtures/torch-import.json, for the fine-tune case
//   inputs         what the generator feeds the exported .py (raw digits pixel counts 0..16 for
//                  models with preprocessing, preprocessed values for bare exports)
//   logits         descent's own logits on those inputs (model.preprocessInputs first)

const ROWS = [100, 116]; // the 16 samples the logits are compared on
const TRAIN = [0, 64]; // the rows the models train on

export function logits(model, x) {
  model.eval();
  const n = x.length / model.inputs;
  const v = model.views(n);
  v.x.data.set(x);
  model.forward(v, n, false);
  return Array.from(v.ys[v.ys.length - 1].data.subarray(0, n * model.outputs));
}

/** Non-default biases, γ, β and running statistics from a seeded Random; passes set. */
function perturb(d, model, seed, passes) {
  const r = new d.Random(seed);
  const u = (a) => Math.fround(a * (r.uniform() - 0.5));
  for (const l of model.layers) {
    if (l.b) for (let i = 0; i < l.units; i++) l.b.data[i] = u(0.4);
    if (l.type === 'batchnorm' || l.type === 'layernorm') for (let i = 0; i < l.units; i++) l.W.data[i] = 1 + u(0.6);
    if (l.runningMean) for (let i = 0; i < l.units; i++) { l.runningMean.data[i] = u(1); l.runningVar.data[i] = Math.fround(0.25 + r.uniform()); }
  }
  model.passes = passes;
  model.eval();
}

/** `steps` full-batch SGD steps in training mode (batch norm statistics, dropout masks). */
function train(model, x, labels, steps, lr) {
  model.train();
  const p = model.parameters().data;
  for (let s = 0; s < steps; s++) {
    model.lossAndGradient({ x, n: labels.length, labels });
    const g = model.gradients().data;
    for (let i = 0; i < p.length; i++) p[i] = Math.fround(p[i] - Math.fround(lr * g[i]));
  }
  model.eval();
}

export function cases(d, importFixture) {
  const engine = d.createEngineSync({ isa: 'simd', gemmTile: 4 });
  const raw = d.digits({ scale: 1 });
  const scaled = d.digits();
  const rows = (ds, [a, b]) => ds.x.slice(a * 64, b * 64);
  const trainLabels = raw.labels.slice(TRAIN[0], TRAIN[1]);
  const out = [];

  // 1. Dense only, a square 16→16 layer (a transposed load would go unnoticed by shapes)
  {
    const model = new d.Model(engine, { inputs: 64, seed: 3, layers: [{ units: 16, activation: 'tanh' }, { units: 16, activation: 'relu' }, { units: 10 }] });
    perturb(d, model, 3, 0);
    const inputs = rows(scaled, ROWS);
    out.push({ name: 'dense-square', model, exported: d.exportTorch(model), inputs, logits: logits(model, inputs) });
  }
  // 2. batch norm after a bias-free Dense, ELU(0.5), dropout: running statistics, passes, masks
  {
    const model = new d.Model(engine, {
      inputs: 64, seed: 5,
      layers: [{ units: 16, bias: false }, { type: 'batchnorm', activation: 'relu' }, { units: 16, activation: 'elu', alpha: 0.5 }, { type: 'dropout', rate: 0.25 }, { units: 10 }],
    });
    perturb(d, model, 5, 4);
    const inputs = rows(scaled, ROWS);
    out.push({ name: 'batchnorm-dropout', model, exported: d.exportTorch(model), inputs, logits: logits(model, inputs) });
  }
  // 3. layer norm, leaky ReLU, sigmoid, softsign, with preprocessing (the .py applies it to raw pixels)
  {
    const spec = {
      inputs: 64, seed: 7,
      layers: [{ units: 16, activation: 'linear' }, { type: 'layernorm', activation: 'leaky-relu', alpha: 0.1 }, { units: 16, activation: 'sigmoid' }, { units: 16, activation: 'softsign' }, { units: 10 }],
    };
    const model = new d.Model(engine, spec);
    const mean = new Float32Array(64), std = new Float32Array(64);
    const x = rows(raw, TRAIN);
    for (let j = 0; j < 64; j++) {
      let s = 0, s2 = 0;
      for (let i = 0; i < 64; i++) { const v = x[i * 64 + j] / 16; s += v; s2 += v * v; }
      mean[j] = s / 64;
      std[j] = Math.max(Math.sqrt(Math.max(s2 / 64 - (s / 64) ** 2, 0)), 0.1);
    }
    const pre = { scale: 1 / 16, mean, std };
    model.setPreprocess(pre);
    perturb(d, model, 7, 3);
    const inputs = rows(raw, ROWS);
    out.push({ name: 'layernorm-preprocess', model, exported: d.exportTorch(model), inputs, logits: logits(model, model.preprocessInputs(inputs)) });
    // the same model exported bare: the network alone, fed preprocessed inputs
    const bareInputs = model.preprocessInputs(inputs);
    out.push({ name: 'layernorm-bare', model, exported: d.exportTorch(model, { bare: true }), inputs: bareInputs, logits: logits(model, bareInputs) });
  }
  // 4. fine-tune: a torch-made batch-norm state_dict, imported, trained more in descent, exported
  if (importFixture) {
    const f = importFixture('batchnorm');
    const model = d.importTorch(engine, f.bytes, { python: f.python });
    train(model, rows(scaled, TRAIN), trainLabels, 5, 0.05);
    const inputs = rows(scaled, ROWS);
    out.push({ name: 'finetune-batchnorm', model, exported: d.exportTorch(model), inputs, logits: logits(model, inputs) });
  }
  return out;
}
