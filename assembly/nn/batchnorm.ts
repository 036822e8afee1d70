// Batch normalization (Ioffe & Szegedy 2015) over the rows of a row-major n×c matrix: one
// mean and variance per feature (column), as torch.nn.BatchNorm1d on an (n, c) input.
//
// Training (bnForwardTrain), per feature j over the n rows:
//   μ   = (1/n)·Σᵢ xᵢⱼ                    σ² = (1/n)·Σᵢ (xᵢⱼ − μ)²   (biased: normalization)
//   s   = 1/√(σ² + ε)                     x̂ᵢⱼ = (xᵢⱼ − μ)·s          yᵢⱼ = γⱼ·x̂ᵢⱼ + βⱼ
//   running_mean ← (1 − m)·running_mean + m·μ
//   running_var  ← (1 − m)·running_var  + m·σ²·n/(n − 1)              (unbiased, as PyTorch)
// with momentum m (PyTorch's default 0.1). n = 1 has no unbiased variance: the caller refuses
// it (src/nn/model.ts); here the running variance is then left as it is.
// Inference (bnForwardEval):  yᵢⱼ = (xᵢⱼ − running_meanⱼ)·(γⱼ/√(running_varⱼ + ε)) + βⱼ.
// Backward (bnBackward), given dy = ∂L/∂y and the saved x̂ and s:
//   ∂L/∂βⱼ = Σᵢ dyᵢⱼ      ∂L/∂γⱼ = Σᵢ dyᵢⱼ·x̂ᵢⱼ
//   ∂L/∂xᵢⱼ = (γⱼ·s/n)·(n·dyᵢⱼ − Σₖ dyₖⱼ − x̂ᵢⱼ·Σₖ dyₖⱼ·x̂ₖⱼ)
// (the derivative through μ and σ² folded in: both sums are orthogonality corrections that
// make Σᵢ ∂L/∂xᵢⱼ = 0 and Σᵢ x̂ᵢⱼ·∂L/∂xᵢⱼ = 0).
//
// Arithmetic: f32 throughout, separate multiply and add (no madd), so the plain and relaxed
// builds give the same bits. The variance is two-pass (Σ(x − μ)² after μ), so a large common
// offset does not cancel catastrophically as in Σx² − nμ². Sums run down the rows in order, in
// f32: relative error ≲ n·ε₃₂ of Σ|·| (n = 1000: ~6e-5 in the worst case, ~√n·ε typically).
//
// Loops: four features (one f32x4) at a time, each block walking all rows (three passes in
// training: sum, squared deviations, write-back), then the last 1–3 features through the same
// code with partial loads and stores. Aliasing: y may equal x, x̂ may equal x (each element is
// read before it is written); dx may equal dy.
//
// bnForwardTrain(n, c, x, y, xhat, gamma, beta, mean, invstd, runMean, runVar, momentum, eps)
//   xhat, runMean/runVar may be 0 (not written / not updated); mean and invstd receive μ and s.
// bnForwardEval(n, c, x, y, gamma, beta, runMean, runVar, eps)
// bnBackward(n, c, xhat, dy, gamma, invstd, dx, dgamma, dbeta)   dx, dgamma, dbeta may be 0

import { loadTail, storeTail } from "./math";

@inline function ld(p: usize, w: i32): v128 {
  return w == 4 ? v128.load(p) : loadTail(p, w, 0);
}

@inline function st(p: usize, v: v128, w: i32): void {
  if (w == 4) v128.store(p, v);
  else storeTail(p, v, w);
}

/** Features [j, j + w) of bnForwardTrain (o = 4j bytes into every per-feature array). */
@inline function trainBlock(w: i32, n: i32, ldb: usize, x: usize, y: usize, xhat: usize, o: usize,
                            gamma: usize, beta: usize, mean: usize, invstd: usize, runMean: usize, runVar: usize,
                            momentum: f32, eps: f32): void {
  let s = f32x4.splat(0);
  let p = x;
  for (let i = 0; i < n; i++) { s = f32x4.add(s, ld(p, w)); p += ldb; }
  const mu = f32x4.mul(s, f32x4.splat(<f32>1.0 / <f32>n));
  let q = f32x4.splat(0);
  p = x;
  for (let i = 0; i < n; i++) {
    const d = f32x4.sub(ld(p, w), mu);
    q = f32x4.add(q, f32x4.mul(d, d));
    p += ldb;
  }
  const variance = f32x4.mul(q, f32x4.splat(<f32>1.0 / <f32>n));
  const is = f32x4.div(f32x4.splat(1.0), f32x4.sqrt(f32x4.add(variance, f32x4.splat(eps))));
  const g = ld(gamma + o, w), b = ld(beta + o, w);
  p = 0;
  for (let i = 0; i < n; i++) {
    const xh = f32x4.mul(f32x4.sub(ld(x + p, w), mu), is);
    if (xhat != 0) st(xhat + p, xh, w);
    st(y + p, f32x4.add(f32x4.mul(xh, g), b), w);
    p += ldb;
  }
  st(mean + o, mu, w);
  st(invstd + o, is, w);
  if (runMean != 0) {
    const m = f32x4.splat(momentum), keep = f32x4.splat(<f32>1.0 - momentum);
    st(runMean + o, f32x4.add(f32x4.mul(keep, ld(runMean + o, w)), f32x4.mul(m, mu)), w);
    if (runVar != 0 && n > 1) {
      const unbiased = f32x4.mul(q, f32x4.splat(<f32>1.0 / <f32>(n - 1)));
      st(runVar + o, f32x4.add(f32x4.mul(keep, ld(runVar + o, w)), f32x4.mul(m, unbiased)), w);
    }
  }
}

export function bnForwardTrain(n: i32, c: i32, x: usize, y: usize, xhat: usize, gamma: usize, beta: usize,
                               mean: usize, invstd: usize, runMean: usize, runVar: usize, momentum: f32, eps: f32): void {
  if (n <= 0 || c <= 0) return;
  const ldb = <usize>c << 2;
  let j = 0;
  for (; j + 4 <= c; j += 4) {
    const o = <usize>j << 2;
    trainBlock(4, n, ldb, x + o, y + o, xhat != 0 ? xhat + o : 0, o, gamma, beta, mean, invstd, runMean, runVar, momentum, eps);
  }
  if (j < c) {
    const o = <usize>j << 2;
    trainBlock(c - j, n, ldb, x + o, y + o, xhat != 0 ? xhat + o : 0, o, gamma, beta, mean, invstd, runMean, runVar, momentum, eps);
  }
}

@inline function evalBlock(w: i32, n: i32, ldb: usize, x: usize, y: usize, o: usize,
                           gamma: usize, beta: usize, runMean: usize, runVar: usize, eps: f32): void {
  const s = f32x4.div(ld(gamma + o, w), f32x4.sqrt(f32x4.add(ld(runVar + o, w), f32x4.splat(eps))));
  const mu = ld(runMean + o, w), b = ld(beta + o, w);
  let p: usize = 0;
  for (let i = 0; i < n; i++) {
    st(y + p, f32x4.add(f32x4.mul(f32x4.sub(ld(x + p, w), mu), s), b), w);
    p += ldb;
  }
}

export function bnForwardEval(n: i32, c: i32, x: usize, y: usize, gamma: usize, beta: usize,
                              runMean: usize, runVar: usize, eps: f32): void {
  if (n <= 0 || c <= 0) return;
  const ldb = <usize>c << 2;
  let j = 0;
  for (; j + 4 <= c; j += 4) {
    const o = <usize>j << 2;
    evalBlock(4, n, ldb, x + o, y + o, o, gamma, beta, runMean, runVar, eps);
  }
  if (j < c) {
    const o = <usize>j << 2;
    evalBlock(c - j, n, ldb, x + o, y + o, o, gamma, beta, runMean, runVar, eps);
  }
}

@inline function backBlock(w: i32, n: i32, ldb: usize, xhat: usize, dy: usize, dx: usize, o: usize,
                           gamma: usize, invstd: usize, dgamma: usize, dbeta: usize): void {
  let sdy = f32x4.splat(0), sdx = f32x4.splat(0);
  let p: usize = 0;
  for (let i = 0; i < n; i++) {
    const d = ld(dy + p, w);
    sdy = f32x4.add(sdy, d);
    sdx = f32x4.add(sdx, f32x4.mul(d, ld(xhat + p, w)));
    p += ldb;
  }
  if (dgamma != 0) st(dgamma + o, sdx, w);
  if (dbeta != 0) st(dbeta + o, sdy, w);
  if (dx == 0) return;
  const k = f32x4.mul(f32x4.mul(ld(gamma + o, w), ld(invstd + o, w)), f32x4.splat(<f32>1.0 / <f32>n));
  const nf = f32x4.splat(<f32>n);
  p = 0;
  for (let i = 0; i < n; i++) {
    const t = f32x4.sub(f32x4.sub(f32x4.mul(nf, ld(dy + p, w)), sdy), f32x4.mul(ld(xhat + p, w), sdx));
    st(dx + p, f32x4.mul(k, t), w);
    p += ldb;
  }
}

export function bnBackward(n: i32, c: i32, xhat: usize, dy: usize, gamma: usize, invstd: usize,
                           dx: usize, dgamma: usize, dbeta: usize): void {
  if (n <= 0 || c <= 0) return;
  const ldb = <usize>c << 2;
  let j = 0;
  for (; j + 4 <= c; j += 4) {
    const o = <usize>j << 2;
    backBlock(4, n, ldb, xhat + o, dy + o, dx != 0 ? dx + o : 0, o, gamma, invstd, dgamma, dbeta);
  }
  if (j < c) {
    const o = <usize>j << 2;
    backBlock(c - j, n, ldb, xhat + o, dy + o, dx != 0 ? dx + o : 0, o, gamma, invstd, dgamma, dbeta);
  }
}
