// The typed table of functions exported by the wasm modules (assembly/index.ts).
// Pointers are byte offsets into linear memory; sizes are element counts.

export interface Kernels {
  isRelaxed(): number;
  heapBase(): number;
  gemm(tile: number, transA: number, transB: number, m: number, n: number, k: number,
       alpha: number, a: number, lda: number, b: number, ldb: number,
       beta: number, c: number, ldc: number, bias: number, work: number): void;
  gemmWorkspaceBytes(): number;
  /**
   * C = A·B (+ bias) with B read in place, not packed (assembly/gemm/driver.ts): the same
   * blocking, kernel and bits as gemm(tile, 0, 0, m, n, k, 1, a, lda, b, ldb, 0, c, ldc, bias, work).
   */
  gemmDirectB(tile: number, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number,
              c: number, ldc: number, bias: number, work: number): void;
  /**
   * Y[m×n] = X[m×k]·W[k×n] (+ bias) without packing, for a few rows (assembly/gemm/smallm.ts):
   * per element acc = bias (or 0), then acc + x·w for i = 0 … k−1 in order.
   */
  gemmSmallM(m: number, n: number, k: number, x: number, ldx: number, w: number, ldw: number,
             bias: number, y: number, ldy: number): void;
  gemmSetBlocking(mc: number, kc: number, nc: number, aBudget: number, bBudget: number): void;
  packA(mr: number, transA: number, a: number, lda: number, ic: number, mc: number, pc: number, kc: number, dst: number): void;
  packB(transB: number, b: number, ldb: number, pc: number, kc: number, jc: number, nc: number, dst: number): void;
  dot(n: number, x: number, y: number): number;
  sum(n: number, x: number): number;
  nrm2(n: number, x: number): number;
  /** Σ |xᵢ| (f64 accumulation). */
  asum(n: number, x: number): number;
  /** max |xᵢ|; NaN if any xᵢ is NaN; 0 for n = 0. */
  amax(n: number, x: number): number;
  axpy(n: number, a: number, x: number, y: number): void;
  scal(n: number, a: number, x: number): void;
  scale(n: number, a: number, x: number, out: number): void;
  add(n: number, x: number, y: number, out: number): void;
  mul(n: number, x: number, y: number, out: number): void;
  fill(n: number, v: number, x: number): void;
  copy(n: number, src: number, dst: number): void;
  firstNonFinite(n: number, x: number): number;
  clamp(n: number, lo: number, hi: number, x: number): void;
  lerp(n: number, t: number, x: number, y: number): void;
  /** y ← y + a·sign(x), sign(±0) = 0 (the L1 subgradient). */
  addSign(n: number, a: number, x: number, y: number): void;
  peak(iterations: number, seed: number): number;
  peakFlopsPerIteration(): number;
  // Neural-network kernels (assembly/nn/). Activation kinds: 0 linear, 1 sigmoid, 2 tanh,
  // 3 relu, 4 leaky relu, 5 elu, 6 softsign. Losses return the f64 sum and, if dz ≠ 0, write
  // scale·∂sum/∂input. Labels and argmax outputs are i32 arrays.
  actForward(kind: number, n: number, alpha: number, z: number, y: number): void;
  actBackward(kind: number, n: number, alpha: number, y: number, dy: number, dz: number): void;
  softmax(rows: number, cols: number, z: number, y: number): void;
  softmaxXent(rows: number, cols: number, z: number, labels: number, dz: number, scale: number): number;
  mseLoss(n: number, y: number, t: number, dz: number, scale: number): number;
  bceLogits(n: number, z: number, t: number, dz: number, scale: number): number;
  bceProbs(n: number, p: number, t: number, dz: number, scale: number, eps: number): number;
  // PyTorch-semantics losses (assembly/nn/losses.ts): out ≠ 0 receives the unreduced terms (f32).
  xentLabels(rows: number, cols: number, z: number, labels: number, dz: number, scale: number, eps: number, out: number): number;
  xentSoft(rows: number, cols: number, z: number, t: number, dz: number, scale: number, eps: number, out: number): number;
  bceLogitsW(rows: number, cols: number, z: number, t: number, dz: number, scale: number, posWeight: number, out: number): number;
  bceProbsOut(n: number, p: number, t: number, dz: number, scale: number, eps: number, out: number): number;
  /** kind 0 ½d², 1 d², 2 Huber(δ = param), 3 smooth L1(β = param), d = y − t. */
  regressionLoss(kind: number, n: number, y: number, t: number, dz: number, scale: number, param: number, out: number): number;
  colSum(rows: number, cols: number, x: number, out: number, beta: number): void;
  /** colSum on the first cols columns of rows ld floats apart (ld ≥ cols): splits by columns with threads. */
  colSumLd(rows: number, cols: number, ld: number, x: number, out: number, beta: number): void;
  argmaxRows(rows: number, cols: number, x: number, out: number): void;
  // Optimizer updates (assembly/optim/): one fused pass over n floats of the parameters p,
  // the gradient g (read only) and the state buffers (pointer 0 where a flag leaves one unused).
  // The f32 scalars are per-step coefficients from src/optim/rules.ts. Flag bits: 1 coupled
  // weight decay (g + wd·p), 2 torch.lerp's second form (weight ≥ ½), 4 and 8 per kernel.
  /** flags 4 momentum, 8 nesterov. */
  optSgd(n: number, p: number, g: number, buf: number,
         negLr: number, muBuf: number, cg: number, mu: number, wd: number, flags: number): void;
  optAdagrad(n: number, p: number, g: number, sum: number, negClr: number, eps: number, wd: number, flags: number): void;
  /** flags 4 centered (ga), 8 momentum (buf). */
  optRmsprop(n: number, p: number, g: number, sq: number, ga: number, buf: number,
             negLr: number, alpha: number, oneMinusAlpha: number, cLerp: number, eps: number, mu: number, wd: number,
             flags: number): void;
  optAdadelta(n: number, p: number, g: number, sq: number, acc: number,
              negLr: number, rho: number, oneMinusRho: number, eps: number, wd: number, flags: number): void;
  /** flags 4 amsgrad (vmax). */
  optAdam(n: number, p: number, g: number, m: number, v: number, vmax: number,
          negLr: number, invBc1: number, invBc2Sqrt: number, cLerp: number, beta2: number, oneMinusBeta2: number,
          eps: number, wd: number, decay: number, flags: number): void;
  optAdamax(n: number, p: number, g: number, m: number, r: number,
            negLr: number, invBc1: number, cLerp: number, beta2: number, eps: number, wd: number, flags: number): void;
  optNadam(n: number, p: number, g: number, m: number, v: number,
           negLr: number, cg: number, cm: number, invBc2: number, cLerp: number, beta2: number, oneMinusBeta2: number,
           eps: number, wd: number, decay: number, flags: number): void;
  /** flags 4 rectify (ρ_t > 5). */
  optRadam(n: number, p: number, g: number, m: number, v: number,
           negLr: number, invBc1: number, bc2Sqrt: number, rect: number, eps: number, cLerp: number, beta2: number,
           oneMinusBeta2: number, wd: number, decay: number, flags: number): void;
  optRprop(n: number, p: number, g: number, prev: number, step: number,
           etaMinus: number, etaPlus: number, stepMin: number, stepMax: number, wd: number, flags: number): void;
  /** Rprop−, iRprop−, Rprop+, iRprop+: flags 4 plus (prevUpdate), 8 backtrack, 16 forget. */
  optRpropVariant(n: number, p: number, g: number, prevGrad: number, stepSize: number, prevUpdate: number,
                  etaMinus: number, etaPlus: number, deltaMin: number, deltaMax: number, wd: number, flags: number): void;
  /** Delta-bar-delta: flags 4 momentum (prevUpdate). */
  optDeltaBarDelta(n: number, p: number, g: number, lr: number, deltaBar: number, prevUpdate: number,
                   kappa: number, oneMinusPhi: number, theta: number, oneMinusTheta: number, mu: number, wd: number,
                   flags: number): void;
  /** g ← g + sigma·z, z ~ N(0, 1) from Philox-2x32-10 of (seed, counter, offset + i) and Box–Muller. */
  addGaussianNoise(n: number, g: number, sigma: number, seed: number, counter: number, offset: number): void;
  /** Philox-2x32-10 of the counter (c0, c1) under key: x0 | x1 << 32. */
  philox2x32(c0: number, c1: number, key: number): bigint;
  /** Classical momentum v = μv − αg', p += v; look-ahead Nesterov (assembly/optim/momentum.ts). flags: 1 WD */
  optMomentumClassic(n: number, p: number, g: number, v: number, mu: number, negAlpha: number, wd: number, flags: number): void;
  optNesterovLookahead(n: number, p: number, g: number, v: number, mu: number, negAlpha: number, wd: number, flags: number): void;
  /** ASGD (assembly/optim/asgd.ts): flags 1 WD, 4 average (ax ← ax + (p − ax)·μ, else ax ← p). */
  optAsgd(n: number, p: number, g: number, ax: number, negEta: number, factor: number, wd: number, mu: number, flags: number): void;
  // Composable update transforms (assembly/optim/transforms.ts): passes over the updates u in
  // place, with the fused kernels' per-element operations; flag bits as in the fused kernels.
  tfAddDecayedWeights(n: number, u: number, p: number, wd: number): void;
  tfApply(n: number, p: number, u: number, scale: number, factor: number): void;
  /** flags 8 nesterov. */
  tfTrace(n: number, u: number, buf: number, muBuf: number, cg: number, mu: number, flags: number): void;
  tfScaleByAdagrad(n: number, u: number, sum: number, eps: number): void;
  /** flags 2 large, 4 centered (ga), 8 momentum (buf). */
  tfScaleByRms(n: number, u: number, sq: number, ga: number, buf: number,
               alpha: number, oneMinusAlpha: number, cLerp: number, eps: number, mu: number, flags: number): void;
  tfScaleByAdadelta(n: number, u: number, sq: number, acc: number, rho: number, oneMinusRho: number, eps: number): void;
  /** flags 2 large, 4 amsgrad (vmax). */
  tfScaleByAdam(n: number, u: number, m: number, v: number, vmax: number, invBc1: number, invBc2Sqrt: number,
                cLerp: number, beta2: number, oneMinusBeta2: number, eps: number, flags: number): void;
  tfScaleByAdamax(n: number, u: number, m: number, r: number, invBc1: number, cLerp: number, beta2: number,
                  eps: number, flags: number): void;
  tfScaleByNadam(n: number, u: number, m: number, v: number, cg: number, cm: number, invBc2: number,
                 cLerp: number, beta2: number, oneMinusBeta2: number, eps: number, flags: number): void;
  /** flags 2 large, 4 rectify. */
  tfScaleByRadam(n: number, u: number, m: number, v: number, invBc1: number, bc2Sqrt: number, rect: number,
                 eps: number, cLerp: number, beta2: number, oneMinusBeta2: number, flags: number): void;
  tfScaleByRprop(n: number, u: number, prev: number, step: number,
                 etaMinus: number, etaPlus: number, stepMin: number, stepMax: number): void;
  // Float64 dense linear algebra (assembly/linalg/): pointers to f64 arrays, matrices row-major
  // (m×n, leading dimension n). Used through src/linalg/f64.ts.
  f64Dot(n: number, x: number, y: number): number;
  f64Nrm2(n: number, x: number): number;
  f64Axpy(n: number, a: number, x: number, y: number): void;
  f64Scal(n: number, a: number, x: number): void;
  f64Fill(n: number, v: number, x: number): void;
  f64Copy(n: number, src: number, dst: number): void;
  /** y ← α·op(A)·x + β·y, A m×n, op(A) = Aᵀ when trans = 1; β = 0 does not read y. */
  f64Gemv(trans: number, m: number, n: number, alpha: number, a: number, x: number, beta: number, y: number): void;
  /** f64Gemv with A's rows ld ≥ n doubles apart (the thread pool splits Aᵀ·x over column ranges). */
  f64GemvLd(trans: number, m: number, n: number, alpha: number, a: number, ld: number, x: number, beta: number, y: number): void;
  /** A ← A + α·x·yᵀ, A m×n. */
  f64Ger(m: number, n: number, alpha: number, x: number, y: number, a: number): void;
  /** y ← α·A·x + β·y, A n×n symmetric, lower triangle read. */
  f64Symv(n: number, alpha: number, a: number, x: number, beta: number, y: number): void;
  /** Elements r0 … r0+rows−1 of f64Symv's y, bit for bit as in the whole call. */
  f64SymvRows(n: number, alpha: number, a: number, x: number, beta: number, y: number, r0: number, rows: number): void;
  /** Aᵢᵢ += d[i] (d ≠ 0) or += v, i < min(m, n). */
  f64AddDiagonal(m: number, n: number, a: number, v: number, d: number): void;
  /** G ← JᵀJ (J m×n, G n×n, full symmetric). */
  f64Gram(m: number, n: number, j: number, g: number): void;
  /** The lower-triangle elements of G = JᵀJ in rows i0 … i0+rows−1 × columns c0 … c0+cols−1, and their mirrors. */
  f64GramBlock(m: number, n: number, j: number, g: number, i0: number, rows: number, c0: number, cols: number): void;
  /** b ← op(T)⁻¹·b, T n×n lower (lower = 1) or upper triangular, op(T) = Tᵀ when trans = 1. */
  f64Trsv(lower: number, trans: number, n: number, t: number, b: number): void;
  /** A ← L (lower, strict upper zeroed) with A = L·Lᵀ; −1, or the index of the first non-positive pivot. */
  f64Cholesky(n: number, a: number): number;
  f64CholSolve(n: number, l: number, b: number, x: number): void;
  /** BFGS inverse update of H; returns yᵀs (H unchanged unless it is > 0). */
  f64BfgsInverseUpdate(n: number, h: number, s: number, y: number, work: number): number;
  // Normalization and dropout (assembly/nn/batchnorm.ts, layernorm.ts, dropout.ts). Pointers 0
  // where the header allows (optional outputs); f32 scalars.
  bnForwardTrain(n: number, c: number, x: number, y: number, xhat: number, gamma: number, beta: number,
                 mean: number, invstd: number, runMean: number, runVar: number, momentum: number, eps: number): void;
  bnForwardEval(n: number, c: number, x: number, y: number, gamma: number, beta: number,
                runMean: number, runVar: number, eps: number): void;
  bnBackward(n: number, c: number, xhat: number, dy: number, gamma: number, invstd: number,
             dx: number, dgamma: number, dbeta: number): void;
  lnForward(n: number, c: number, x: number, y: number, xhat: number, gamma: number, beta: number,
            invstd: number, eps: number): void;
  lnBackward(n: number, c: number, xhat: number, dy: number, gamma: number, invstd: number,
             dx: number, dgamma: number, dbeta: number): void;
  // The same with a leading dimension ld ≥ c (rows ld floats apart): the forms the model calls,
  // which the threaded engine splits by columns (src/engine/threads/plans-norm.ts). lnParamGrads
  // computes lnBackward's ∂γ, ∂β alone; lnBackward with dgamma = dbeta = 0 then splits by rows.
  bnForwardTrainLd(n: number, c: number, ld: number, x: number, y: number, xhat: number, gamma: number, beta: number,
                   mean: number, invstd: number, runMean: number, runVar: number, momentum: number, eps: number): void;
  bnBackwardLd(n: number, c: number, ld: number, xhat: number, dy: number, gamma: number, invstd: number,
               dx: number, dgamma: number, dbeta: number): void;
  /** Backward of bnForwardEval (frozen statistics): ∂x = dy·γ/√(σ²+ε), ∂γ = Σ dy·(x − μ)/√(σ²+ε), ∂β = Σ dy. */
  bnBackwardEvalLd(n: number, c: number, ld: number, x: number, dy: number, gamma: number, runMean: number, runVar: number,
                   eps: number, dx: number, dgamma: number, dbeta: number): void;
  lnParamGrads(n: number, c: number, ld: number, xhat: number, dy: number, dgamma: number, dbeta: number): void;
  /** mask = keep ? 1/(1 − rate) : 0 from Philox-2x32-10 of (seed, counter, offset + i); y = x ⊙ mask unless x = 0. */
  dropoutForward(n: number, x: number, y: number, mask: number, rate: number, seed: number, counter: number, offset: number): void;
  // Pooling on NHWC f32 activations (assembly/nn/pool.ts): PyTorch's windows (floor mode, the
  // caller passes oh, ow), images independent (a call may be split by images).
  /** y = window max, idx (i32) = iy·w + ix of the first maximum (a NaN wins: the last one, as PyTorch). */
  maxPoolForward(n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
                 ph: number, pw: number, oh: number, ow: number, x: number, y: number, idx: number): void;
  /** dx = 0, then dx[img, idx, ch] += dy[img, oy, ox, ch] in ascending (oy, ox). */
  maxPoolBackward(n: number, h: number, w: number, c: number, oh: number, ow: number, dy: number, idx: number, dx: number): void;
  /** y = (Σ in-image window, in (ky, kx) order) / (countIncludePad ? kh·kw : in-image count). */
  avgPoolForward(n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
                 ph: number, pw: number, oh: number, ow: number, countIncludePad: number, x: number, y: number): void;
  /** dx = 0, then each window's in-image positions += dy/divisor, windows in ascending (oy, ox). */
  avgPoolBackward(n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
                  ph: number, pw: number, oh: number, ow: number, countIncludePad: number, dy: number, dx: number): void;
  /** y[img, ch] = (Σ_{p<hw} x[img, p, ch], in p order) / hw. */
  globalAvgPoolForward(n: number, hw: number, c: number, x: number, y: number): void;
  /** dx[img, p, ch] = dy[img, ch] / hw. */
  globalAvgPoolBackward(n: number, hw: number, c: number, dy: number, dx: number): void;
  /** y[img, p, ch] = x[img, p, ch]·s[img, ch] (spatial dropout's mask, any per-channel scale); y may be x. */
  mulChannels(n: number, hw: number, c: number, x: number, s: number, y: number): void;
  /** NHWC x → rows (img, oy, ox) of kh·kw·cg values (ky, kx, ci) of channels c0..c0+cg−1, 0 outside the image (assembly/nn/conv.ts). */
  im2col(n: number, h: number, w: number, c: number, c0: number, cg: number, kh: number, kw: number, sh: number, sw: number,
         ph: number, pw: number, dh: number, dw: number, oh: number, ow: number, x: number, cols: number): void;
  /** im2col's adjoint: dx channels c0..c0+cg−1 (+)= the sums of cols over their taps, added in ascending row order. */
  col2im(n: number, h: number, w: number, c: number, c0: number, cg: number, kh: number, kw: number, sh: number, sw: number,
         ph: number, pw: number, dh: number, dw: number, oh: number, ow: number, cols: number, dx: number, accumulate: number): void;
  // A conv layer's products over lowerings of sb images at a time in the workspace's scratch
  // (assembly/nn/conv-fused.ts); geo: i32[13] h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
  // images img0 .. img0+n−1 of a batch whose image 0 is at x (dz, y, dx); cost: multiply-adds
  // per image, read by the thread planner only.
  /** Floats of lowering scratch in each GEMM workspace. */
  convLowerFloats(): number;
  /** y (ldy) = lower(x, channels c0..c0+cg−1) · W (ldw, fg columns) (+ bias) for n images. */
  convForward(n: number, img0: number, sb: number, cost: number, geo: number, c0: number, cg: number, x: number, wt: number,
              ldw: number, fg: number, bias: number, y: number, ldy: number, tile: number, work: number): void;
  /** partials[s] = lower(x)ᵀ · dZ for sub-blocks s of images img0 .. img0+n−1 (img0 a multiple of sb). */
  convWeightPartials(n: number, img0: number, sb: number, cost: number, geo: number, c0: number, cg: number, x: number, dz: number,
                     lddz: number, fg: number, partials: number, tile: number, work: number): void;
  /** dst rows r0 .. r0+nrows−1 (ldd) = Σ_s partials[s] (rowsTotal × cols each), s in order. */
  convPartialSum(count: number, nrows: number, r0: number, rowsTotal: number, cols: number, partials: number, dst: number, ldd: number): void;
  /** dx channels c0..c0+cg−1 = col2im(dZ · Wᵀ) for n images. */
  convInputGrad(n: number, img0: number, sb: number, cost: number, geo: number, c0: number, cg: number, dz: number, lddz: number,
                wt: number, ldw: number, fg: number, dx: number, tile: number, work: number): void;
}
