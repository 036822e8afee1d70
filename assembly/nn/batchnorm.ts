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
// Backward of the inference map (bnBackwardEvalLd): frozen statistics, as after torch's
// bn.eval(). The forward was y = (x − μ)·k + β with the running μ, σ² and k = γ/√(σ² + ε): an
// affine map per feature whose μ and σ² are constants, so nothing flows through them:
//   ∂L/∂βⱼ = Σᵢ dyᵢⱼ      ∂L/∂γⱼ = sⱼ·Σᵢ dyᵢⱼ·(xᵢⱼ − μⱼ),  s = 1/√(σ²ⱼ + ε)      ∂L/∂xᵢⱼ = kⱼ·dyᵢⱼ
// k is computed as bnForwardEval computes it (γ / √(σ² + ε)), so ∂x is the exact transpose of the
// forward's scaling; ∂γ multiplies the sum by s once, as PyTorch's CPU kernel does. One pass
// over the rows (dy read before dx is written: dx may equal dy).
//
// Arithmetic: f32 throughout, separate multiply and add (no madd), so the plain and relaxed
// builds give the same bits. The variance is two-pass (Σ(x − μ)² after μ), so a large common
// offset does not cancel catastrophically as in Σx² − nμ². Sums run down the rows in order, in
// f32: relative error ≲ n·ε₃₂ of Σ|·| (n = 1000: ~6e-5 in the worst case, ~√n·ε typically).
//
// Loops: sixteen features (four f32x4, a cache line of each row) at a time, each block walking
// all rows (three passes in training: sum, squared deviations, write-back), then four (one
// f32x4), then the last 1–3 features through the same code with partial loads and stores. Every
// lane does the same operations in the same order whatever the block, so a feature's bits do not
// depend on c or on where a block starts. Aliasing: y may equal x, x̂ may equal x (each element is
// read before it is written); dx may equal dy.
//
// bnForwardTrain(n, c, x, y, xhat, gamma, beta, mean, invstd, runMean, runVar, momentum, eps)
//   xhat, runMean/runVar may be 0 (not written / not updated); mean and invstd receive μ and s.
// bnForwardEval(n, c, x, y, gamma, beta, runMean, runVar, eps)
// bnBackward(n, c, xhat, dy, gamma, invstd, dx, dgamma, dbeta)   dx, dgamma, dbeta may be 0
// bnBackwardEvalLd(n, c, ld, x, dy, gamma, runMean, runVar, eps, dx, dgamma, dbeta)   the same
// bnForwardTrainLd(n, c, ld, …) and bnBackwardLd(n, c, ld, …): the same on the first c columns of
//   matrices whose rows are ld ≥ c floats apart (x, y, x̂, dy, dx alike). They are the column-range
//   entry points of the threaded plans (src/engine/threads/plans-norm.ts): a chunk of features
//   [j, j + len) is the call on pointers advanced by 4j bytes, with c = len and ld = the full c.
//   Every feature's arithmetic depends on its own column only (one lane of one block), so a split
//   at a multiple of 4 features gives the bits of the whole call.

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

/** trainBlock's per-feature stores (μ, s, running statistics) for the 4 features at byte o. */
@inline function trainFinish4(n: i32, q: v128, mu: v128, is: v128, o: usize,
                              mean: usize, invstd: usize, runMean: usize, runVar: usize, momentum: f32): void {
  v128.store(mean + o, mu);
  v128.store(invstd + o, is);
  if (runMean != 0) {
    const m = f32x4.splat(momentum), keep = f32x4.splat(<f32>1.0 - momentum);
    v128.store(runMean + o, f32x4.add(f32x4.mul(keep, v128.load(runMean + o)), f32x4.mul(m, mu)));
    if (runVar != 0 && n > 1) {
      const unbiased = f32x4.mul(q, f32x4.splat(<f32>1.0 / <f32>(n - 1)));
      v128.store(runVar + o, f32x4.add(f32x4.mul(keep, v128.load(runVar + o)), f32x4.mul(m, unbiased)));
    }
  }
}

@inline function invStd(q: v128, invN: v128, eps: f32): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.sqrt(f32x4.add(f32x4.mul(q, invN), f32x4.splat(eps))));
}

/**
 * Features [j, j + 16) of bnForwardTrain: trainBlock's arithmetic, lane for lane, on four f32x4
 * at once, so each pass reads a row's whole cache line once instead of a quarter of it in each
 * of four blocks (rows c floats apart: with c = 1024, 4 KiB, 4-feature blocks walking all rows
 * evicted the lines the next block needed; 1024×1024 ran ~3× slower that way).
 */
@inline function trainBlock16(n: i32, ldb: usize, x: usize, y: usize, xhat: usize, o: usize,
                              gamma: usize, beta: usize, mean: usize, invstd: usize, runMean: usize, runVar: usize,
                              momentum: f32, eps: f32): void {
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
  let p = x;
  for (let i = 0; i < n; i++) {
    s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
    s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
    p += ldb;
  }
  const invN = f32x4.splat(<f32>1.0 / <f32>n);
  const mu0 = f32x4.mul(s0, invN), mu1 = f32x4.mul(s1, invN), mu2 = f32x4.mul(s2, invN), mu3 = f32x4.mul(s3, invN);
  let q0 = f32x4.splat(0), q1 = q0, q2 = q0, q3 = q0;
  p = x;
  for (let i = 0; i < n; i++) {
    const d0 = f32x4.sub(v128.load(p), mu0), d1 = f32x4.sub(v128.load(p, 16), mu1);
    const d2 = f32x4.sub(v128.load(p, 32), mu2), d3 = f32x4.sub(v128.load(p, 48), mu3);
    q0 = f32x4.add(q0, f32x4.mul(d0, d0)); q1 = f32x4.add(q1, f32x4.mul(d1, d1));
    q2 = f32x4.add(q2, f32x4.mul(d2, d2)); q3 = f32x4.add(q3, f32x4.mul(d3, d3));
    p += ldb;
  }
  const is0 = invStd(q0, invN, eps), is1 = invStd(q1, invN, eps), is2 = invStd(q2, invN, eps), is3 = invStd(q3, invN, eps);
  const g = gamma + o, b = beta + o;
  p = 0;
  for (let i = 0; i < n; i++) {
    const xp = x + p, yp = y + p;
    const h0 = f32x4.mul(f32x4.sub(v128.load(xp), mu0), is0), h1 = f32x4.mul(f32x4.sub(v128.load(xp, 16), mu1), is1);
    const h2 = f32x4.mul(f32x4.sub(v128.load(xp, 32), mu2), is2), h3 = f32x4.mul(f32x4.sub(v128.load(xp, 48), mu3), is3);
    if (xhat != 0) {
      const hp = xhat + p;
      v128.store(hp, h0); v128.store(hp, h1, 16); v128.store(hp, h2, 32); v128.store(hp, h3, 48);
    }
    v128.store(yp, f32x4.add(f32x4.mul(h0, v128.load(g)), v128.load(b)));
    v128.store(yp, f32x4.add(f32x4.mul(h1, v128.load(g, 16)), v128.load(b, 16)), 16);
    v128.store(yp, f32x4.add(f32x4.mul(h2, v128.load(g, 32)), v128.load(b, 32)), 32);
    v128.store(yp, f32x4.add(f32x4.mul(h3, v128.load(g, 48)), v128.load(b, 48)), 48);
    p += ldb;
  }
  trainFinish4(n, q0, mu0, is0, o, mean, invstd, runMean, runVar, momentum);
  trainFinish4(n, q1, mu1, is1, o + 16, mean, invstd, runMean, runVar, momentum);
  trainFinish4(n, q2, mu2, is2, o + 32, mean, invstd, runMean, runVar, momentum);
  trainFinish4(n, q3, mu3, is3, o + 48, mean, invstd, runMean, runVar, momentum);
}

export function bnForwardTrain(n: i32, c: i32, x: usize, y: usize, xhat: usize, gamma: usize, beta: usize,
                               mean: usize, invstd: usize, runMean: usize, runVar: usize, momentum: f32, eps: f32): void {
  bnForwardTrainLd(n, c, c, x, y, xhat, gamma, beta, mean, invstd, runMean, runVar, momentum, eps);
}

export function bnForwardTrainLd(n: i32, c: i32, ld: i32, x: usize, y: usize, xhat: usize, gamma: usize, beta: usize,
                                 mean: usize, invstd: usize, runMean: usize, runVar: usize, momentum: f32, eps: f32): void {
  if (n <= 0 || c <= 0) return;
  const ldb = <usize>ld << 2;
  let j = 0;
  for (; j + 16 <= c; j += 16) {
    const o = <usize>j << 2;
    trainBlock16(n, ldb, x + o, y + o, xhat != 0 ? xhat + o : 0, o, gamma, beta, mean, invstd, runMean, runVar, momentum, eps);
  }
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

/** Features [j, j + 16) of bnBackward: backBlock's arithmetic on four f32x4 at once (see trainBlock16). */
@inline function backBlock16(n: i32, ldb: usize, xhat: usize, dy: usize, dx: usize, o: usize,
                             gamma: usize, invstd: usize, dgamma: usize, dbeta: usize): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0; // Σ dy
  let b0 = a0, b1 = a0, b2 = a0, b3 = a0;             // Σ dy·x̂
  let p: usize = 0;
  for (let i = 0; i < n; i++) {
    const dp = dy + p, hp = xhat + p;
    const d0 = v128.load(dp), d1 = v128.load(dp, 16), d2 = v128.load(dp, 32), d3 = v128.load(dp, 48);
    a0 = f32x4.add(a0, d0); a1 = f32x4.add(a1, d1); a2 = f32x4.add(a2, d2); a3 = f32x4.add(a3, d3);
    b0 = f32x4.add(b0, f32x4.mul(d0, v128.load(hp))); b1 = f32x4.add(b1, f32x4.mul(d1, v128.load(hp, 16)));
    b2 = f32x4.add(b2, f32x4.mul(d2, v128.load(hp, 32))); b3 = f32x4.add(b3, f32x4.mul(d3, v128.load(hp, 48)));
    p += ldb;
  }
  if (dgamma != 0) {
    const q = dgamma + o;
    v128.store(q, b0); v128.store(q, b1, 16); v128.store(q, b2, 32); v128.store(q, b3, 48);
  }
  if (dbeta != 0) {
    const q = dbeta + o;
    v128.store(q, a0); v128.store(q, a1, 16); v128.store(q, a2, 32); v128.store(q, a3, 48);
  }
  if (dx == 0) return;
  const invN = f32x4.splat(<f32>1.0 / <f32>n), nf = f32x4.splat(<f32>n);
  const g = gamma + o, s = invstd + o;
  const k0 = f32x4.mul(f32x4.mul(v128.load(g), v128.load(s)), invN), k1 = f32x4.mul(f32x4.mul(v128.load(g, 16), v128.load(s, 16)), invN);
  const k2 = f32x4.mul(f32x4.mul(v128.load(g, 32), v128.load(s, 32)), invN), k3 = f32x4.mul(f32x4.mul(v128.load(g, 48), v128.load(s, 48)), invN);
  p = 0;
  for (let i = 0; i < n; i++) {
    const dp = dy + p, hp = xhat + p, xp = dx + p;
    const t0 = f32x4.sub(f32x4.sub(f32x4.mul(nf, v128.load(dp)), a0), f32x4.mul(v128.load(hp), b0));
    const t1 = f32x4.sub(f32x4.sub(f32x4.mul(nf, v128.load(dp, 16)), a1), f32x4.mul(v128.load(hp, 16), b1));
    const t2 = f32x4.sub(f32x4.sub(f32x4.mul(nf, v128.load(dp, 32)), a2), f32x4.mul(v128.load(hp, 32), b2));
    const t3 = f32x4.sub(f32x4.sub(f32x4.mul(nf, v128.load(dp, 48)), a3), f32x4.mul(v128.load(hp, 48), b3));
    v128.store(xp, f32x4.mul(k0, t0)); v128.store(xp, f32x4.mul(k1, t1), 16);
    v128.store(xp, f32x4.mul(k2, t2), 32); v128.store(xp, f32x4.mul(k3, t3), 48);
    p += ldb;
  }
}

export function bnBackward(n: i32, c: i32, xhat: usize, dy: usize, gamma: usize, invstd: usize,
                           dx: usize, dgamma: usize, dbeta: usize): void {
  bnBackwardLd(n, c, c, xhat, dy, gamma, invstd, dx, dgamma, dbeta);
}

export function bnBackwardLd(n: i32, c: i32, ld: i32, xhat: usize, dy: usize, gamma: usize, invstd: usize,
                             dx: usize, dgamma: usize, dbeta: usize): void {
  if (n <= 0 || c <= 0) return;
  const ldb = <usize>ld << 2;
  let j = 0;
  for (; j + 16 <= c; j += 16) {
    const o = <usize>j << 2;
    backBlock16(n, ldb, xhat + o, dy + o, dx != 0 ? dx + o : 0, o, gamma, invstd, dgamma, dbeta);
  }
  for (; j + 4 <= c; j += 4) {
    const o = <usize>j << 2;
    backBlock(4, n, ldb, xhat + o, dy + o, dx != 0 ? dx + o : 0, o, gamma, invstd, dgamma, dbeta);
  }
  if (j < c) {
    const o = <usize>j << 2;
    backBlock(c - j, n, ldb, xhat + o, dy + o, dx != 0 ? dx + o : 0, o, gamma, invstd, dgamma, dbeta);
  }
}

/** Features [j, j + w) of bnBackwardEvalLd (o = 4j bytes into every per-feature array). */
@inline function evalBackBlock(w: i32, n: i32, ldb: usize, x: usize, dy: usize, dx: usize, o: usize, gamma: usize,
                               runMean: usize, runVar: usize, eps: f32, dgamma: usize, dbeta: usize): void {
  const sd = f32x4.sqrt(f32x4.add(ld(runVar + o, w), f32x4.splat(eps)));
  const k = f32x4.div(ld(gamma + o, w), sd), mu = ld(runMean + o, w);
  let sdy = f32x4.splat(0), sdx = f32x4.splat(0);
  let p: usize = 0;
  for (let i = 0; i < n; i++) {
    const d = ld(dy + p, w);
    sdy = f32x4.add(sdy, d);
    sdx = f32x4.add(sdx, f32x4.mul(d, f32x4.sub(ld(x + p, w), mu)));
    if (dx != 0) st(dx + p, f32x4.mul(d, k), w);
    p += ldb;
  }
  if (dgamma != 0) st(dgamma + o, f32x4.mul(sdx, f32x4.div(f32x4.splat(1.0), sd)), w);
  if (dbeta != 0) st(dbeta + o, sdy, w);
}

/** Features [j, j + 16) of bnBackwardEvalLd: evalBackBlock's arithmetic on four f32x4 at once (see trainBlock16). */
@inline function evalBackBlock16(n: i32, ldb: usize, x: usize, dy: usize, dx: usize, o: usize, gamma: usize,
                                 runMean: usize, runVar: usize, eps: f32, dgamma: usize, dbeta: usize): void {
  const e = f32x4.splat(eps), v = runVar + o, g = gamma + o, m = runMean + o;
  const sd0 = f32x4.sqrt(f32x4.add(v128.load(v), e)), sd1 = f32x4.sqrt(f32x4.add(v128.load(v, 16), e));
  const sd2 = f32x4.sqrt(f32x4.add(v128.load(v, 32), e)), sd3 = f32x4.sqrt(f32x4.add(v128.load(v, 48), e));
  const k0 = f32x4.div(v128.load(g), sd0), k1 = f32x4.div(v128.load(g, 16), sd1);
  const k2 = f32x4.div(v128.load(g, 32), sd2), k3 = f32x4.div(v128.load(g, 48), sd3);
  const mu0 = v128.load(m), mu1 = v128.load(m, 16), mu2 = v128.load(m, 32), mu3 = v128.load(m, 48);
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0; // Σ dy
  let b0 = a0, b1 = a0, b2 = a0, b3 = a0;             // Σ dy·(x − μ)
  let p: usize = 0;
  for (let i = 0; i < n; i++) {
    const dp = dy + p, xp = x + p;
    const d0 = v128.load(dp), d1 = v128.load(dp, 16), d2 = v128.load(dp, 32), d3 = v128.load(dp, 48);
    a0 = f32x4.add(a0, d0); a1 = f32x4.add(a1, d1); a2 = f32x4.add(a2, d2); a3 = f32x4.add(a3, d3);
    b0 = f32x4.add(b0, f32x4.mul(d0, f32x4.sub(v128.load(xp), mu0)));
    b1 = f32x4.add(b1, f32x4.mul(d1, f32x4.sub(v128.load(xp, 16), mu1)));
    b2 = f32x4.add(b2, f32x4.mul(d2, f32x4.sub(v128.load(xp, 32), mu2)));
    b3 = f32x4.add(b3, f32x4.mul(d3, f32x4.sub(v128.load(xp, 48), mu3)));
    if (dx != 0) {
      const q = dx + p;
      v128.store(q, f32x4.mul(d0, k0)); v128.store(q, f32x4.mul(d1, k1), 16);
      v128.store(q, f32x4.mul(d2, k2), 32); v128.store(q, f32x4.mul(d3, k3), 48);
    }
    p += ldb;
  }
  if (dgamma != 0) {
    const q = dgamma + o, one = f32x4.splat(1.0);
    v128.store(q, f32x4.mul(b0, f32x4.div(one, sd0))); v128.store(q, f32x4.mul(b1, f32x4.div(one, sd1)), 16);
    v128.store(q, f32x4.mul(b2, f32x4.div(one, sd2)), 32); v128.store(q, f32x4.mul(b3, f32x4.div(one, sd3)), 48);
  }
  if (dbeta != 0) {
    const q = dbeta + o;
    v128.store(q, a0); v128.store(q, a1, 16); v128.store(q, a2, 32); v128.store(q, a3, 48);
  }
}

export function bnBackwardEvalLd(n: i32, c: i32, ld: i32, x: usize, dy: usize, gamma: usize, runMean: usize, runVar: usize,
                                 eps: f32, dx: usize, dgamma: usize, dbeta: usize): void {
  if (n <= 0 || c <= 0) return;
  const ldb = <usize>ld << 2;
  let j = 0;
  for (; j + 16 <= c; j += 16) {
    const o = <usize>j << 2;
    evalBackBlock16(n, ldb, x + o, dy + o, dx != 0 ? dx + o : 0, o, gamma, runMean, runVar, eps, dgamma, dbeta);
  }
  for (; j + 4 <= c; j += 4) {
    const o = <usize>j << 2;
    evalBackBlock(4, n, ldb, x + o, dy + o, dx != 0 ? dx + o : 0, o, gamma, runMean, runVar, eps, dgamma, dbeta);
  }
  if (j < c) {
    const o = <usize>j << 2;
    evalBackBlock(c - j, n, ldb, x + o, dy + o, dx != 0 ? dx + o : 0, o, gamma, runMean, runVar, eps, dgamma, dbeta);
  }
}
