// A float64 reference MLP in plain TypeScript, independent of the wasm kernels: forward pass
// and mean loss for the same parameter layout as src/nn/model.ts ([W (in×out, row-major) | b]
// per layer). Gradients are taken from it by central finite differences.

export interface RefLayer { inputs: number; units: number; activation: string; alpha: number; bias: boolean }

export function act(name: string, alpha: number, z: number): number {
  switch (name) {
    case 'linear': return z;
    case 'sigmoid': return 1 / (1 + Math.exp(-z));
    case 'tanh': return Math.tanh(z);
    case 'relu': return Math.max(0, z);
    case 'leaky-relu': return z >= 0 ? z : alpha * z;
    case 'elu': return z > 0 ? z : alpha * Math.expm1(z);
    case 'softsign': return z / (1 + Math.abs(z));
  }
  throw new Error(name);
}

export function forward(layers: RefLayer[], theta: Float64Array, x: Float64Array, n: number): Float64Array {
  let a = x, off = 0;
  for (const l of layers) {
    const W = theta.subarray(off, off + l.inputs * l.units);
    off += l.inputs * l.units;
    const b = l.bias ? theta.subarray(off, off + l.units) : undefined;
    if (l.bias) off += l.units;
    const out = new Float64Array(n * l.units);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < l.units; j++) {
        let s = b ? b[j] : 0;
        for (let p = 0; p < l.inputs; p++) s += a[i * l.inputs + p] * W[p * l.units + j];
        out[i * l.units + j] = act(l.activation, l.alpha, s);
      }
    }
    a = out;
  }
  return a;
}

export function meanLoss(loss: string, y: Float64Array, n: number, k: number, labels?: Int32Array, targets?: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (loss === 'softmax-cross-entropy') {
      let m = -Infinity;
      for (let j = 0; j < k; j++) m = Math.max(m, y[i * k + j]);
      let e = 0;
      for (let j = 0; j < k; j++) e += Math.exp(y[i * k + j] - m);
      s += m + Math.log(e) - y[i * k + labels![i]];
      continue;
    }
    for (let j = 0; j < k; j++) {
      const v = y[i * k + j], t = targets![i * k + j];
      if (loss === 'mse') s += 0.5 * (v - t) ** 2;
      else if (loss === 'bce-logits') s += Math.max(v, 0) - v * t + Math.log1p(Math.exp(-Math.abs(v)));
      else if (loss === 'bce') {
        const p = Math.min(Math.max(v, 1e-7), 1 - 1e-7);
        s += -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
      }
    }
  }
  return s / n;
}

/** Central finite differences of f at theta, step h·max(1, |θᵢ|). */
export function numericGradient(f: (t: Float64Array) => number, theta: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(theta.length);
  const t = Float64Array.from(theta);
  for (let i = 0; i < t.length; i++) {
    const s = h * Math.max(1, Math.abs(t[i]));
    const old = t[i];
    t[i] = old + s; const fp = f(t);
    t[i] = old - s; const fm = f(t);
    t[i] = old;
    g[i] = (fp - fm) / (2 * s);
  }
  return g;
}
