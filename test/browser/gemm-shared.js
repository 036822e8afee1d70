// Shared by the Node side of gemm.browser.test.ts, the test page and its module worker:
// the seeded generator, the GEMM cases and the code that runs them on an engine. Plain ES
// module JavaScript, served as is to Chromium, so every runtime builds the same inputs and
// makes the same calls.

/** mulberry32: a small seeded 32-bit generator (integer ops only, so identical everywhere). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n floats uniform in [-1, 1), rounded to f32. */
export function randomF32(n, seed) {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r() * 2 - 1;
  return out;
}

/** Sizes m×k×n: op(A) is m×k, op(B) is k×n, C is m×n. */
export const SHAPES = [
  { m: 37, k: 29, n: 53 },
  { m: 100, k: 50, n: 78 },
];

const FORMS = [
  { form: 'A·B', transA: false, transB: false },
  { form: 'A·Bᵀ', transA: false, transB: true },
  { form: 'Aᵀ·B', transA: true, transB: false },
];

function makeCases() {
  const cases = [];
  let seed = 20261;
  for (const { m, k, n } of SHAPES) {
    for (const f of FORMS) {
      cases.push({ op: 'gemm', ...f, m, k, n, alpha: 1.25, beta: 0.5, bias: false, seed: seed++ });
    }
    // C ← 1.25·A·B + 0.5·C + bias
    cases.push({ op: 'gemm', ...FORMS[0], m, k, n, alpha: 1.25, beta: 0.5, bias: true, seed: seed++ });
    // matmul: a fresh C = 1.25·Aᵀ·B + bias (β = 0, C never read)
    cases.push({ op: 'matmul', ...FORMS[2], m, k, n, alpha: 1.25, beta: 0, bias: true, seed: seed++ });
  }
  // Model.predict on a few rows (a one-layer linear model with W = B, b = bias): the inference
  // paths that read W in place — 1 and 3 rows gemmSmallM (its own summation order), 8 rows
  // gemmDirectB (gemm()'s order)
  for (const m of [1, 3, 8]) {
    cases.push({ op: 'predict', ...FORMS[0], m, k: 29, n: 17, alpha: 1, beta: 0, bias: true, seed: seed++ });
  }
  for (const c of cases) {
    c.name = `${c.op} ${c.form} ${c.m}×${c.k}×${c.n} α=${c.alpha}${c.op === 'gemm' ? ` β=${c.beta}` : ''}${c.bias ? ' +bias' : ''}`;
  }
  return cases;
}

export const CASES = makeCases();

/** The case's inputs in storage layout: A is k×m when transA, B is n×k when transB. */
export function caseInputs(c) {
  const { m, k, n, seed } = c;
  return {
    aShape: c.transA ? [k, m] : [m, k],
    bShape: c.transB ? [n, k] : [k, n],
    A: randomF32(m * k, seed * 4 + 0),
    B: randomF32(k * n, seed * 4 + 1),
    C: c.op === 'gemm' ? randomF32(m * n, seed * 4 + 2) : undefined,
    bias: c.bias ? randomF32(n, seed * 4 + 3) : undefined,
  };
}

/** Run one case on `engine` with the descent module `d`; returns a copy of the m×n result. */
export function runCase(d, engine, c) {
  const x = caseInputs(c);
  if (c.op === 'predict') {
    const model = new d.Model(engine, { inputs: c.k, layers: [{ units: c.n }], loss: 'mse' });
    const theta = model.parameters().data;
    theta.set(x.B);
    theta.set(x.bias, c.k * c.n);
    model.eval();
    const y = model.predict(x.A);
    model.release();
    return y;
  }
  return engine.scope(() => {
    const A = engine.tensor(x.aShape, x.A);
    const B = engine.tensor(x.bShape, x.B);
    const bias = x.bias ? engine.tensor([c.n], x.bias) : undefined;
    const opts = { transA: c.transA, transB: c.transB, alpha: c.alpha };
    if (bias) opts.bias = bias;
    let C;
    if (c.op === 'gemm') {
      C = engine.tensor([c.m, c.n], x.C);
      d.gemm(C, A, B, { ...opts, beta: c.beta });
    } else {
      C = d.matmul(A, B, opts);
    }
    return C.toArray();
  });
}

/** The bits of a Float32Array as a plain array of uint32 numbers. */
export function bitsOf(f32) {
  return Array.from(new Uint32Array(f32.buffer, f32.byteOffset, f32.length));
}

/** Every case on `engine`: [{ name, bits }]. */
export function runAll(d, engine) {
  return CASES.map((c) => ({ name: c.name, bits: bitsOf(runCase(d, engine, c)) }));
}

/**
 * Training: a seeded 64-32-10 tanh model on the embedded digits, its initial weights and its
 * weights after 2 epochs of mini-batch SGD. Plain SIMD must give the same bits everywhere:
 * same seed ⇒ same weights, same training ⇒ same model, in Node and in the browser.
 */
export function runTraining(d, engine) {
  const model = new d.Model(engine, { inputs: 64, layers: [{ units: 32, activation: 'tanh' }, { units: 10 }], seed: 3 });
  const initial = bitsOf(model.parameters().toArray());
  const { train } = d.trainTestSplit(d.digits(), { testFraction: 0.2, seed: 3 });
  const history = d.fit(model, train, { epochs: 2, batchSize: 32, lr: 0.1, seed: 3 });
  return { initial, trained: bitsOf(model.parameters().toArray()), losses: history.loss };
}
