// Layer normalization (Ba, Kiros & Hinton 2016) of each row of a row-major n×c matrix, with a
// per-feature affine map, as torch.nn.LayerNorm(c) on an (n, c) input:
//   μᵢ = (1/c)·Σⱼ xᵢⱼ     σᵢ² = (1/c)·Σⱼ (xᵢⱼ − μᵢ)²     sᵢ = 1/√(σᵢ² + ε)
//   x̂ᵢⱼ = (xᵢⱼ − μᵢ)·sᵢ   yᵢⱼ = γⱼ·x̂ᵢⱼ + βⱼ
// The statistics are per sample, so training and inference compute the same thing.
// Backward, with gᵢⱼ = dyᵢⱼ·γⱼ (the gradient reaching x̂):
//   ∂L/∂γⱼ = Σᵢ dyᵢⱼ·x̂ᵢⱼ     ∂L/∂βⱼ = Σᵢ dyᵢⱼ
//   ∂L/∂xᵢⱼ = (sᵢ/c)·(c·gᵢⱼ − Σₖ gᵢₖ − x̂ᵢⱼ·Σₖ gᵢₖ·x̂ᵢₖ)
// the batch-norm formula with the roles of rows and columns exchanged (and γ inside the sums,
// since it varies along the normalized axis).
//
// Arithmetic: f32, separate multiply and add (the two builds agree bit for bit); two-pass
// variance. Row sums use four lanes (elements j ≡ 0..3 mod 4) added as (l0 + l1) + (l2 + l3),
// then the last c mod 4 elements one by one; ∂γ and ∂β accumulate down the rows in order.
//
// lnForward(n, c, x, y, xhat, gamma, beta, invstd, eps)   xhat may be 0; invstd gets sᵢ (n floats)
// lnBackward(n, c, xhat, dy, gamma, invstd, dx, dgamma, dbeta)   dgamma, dbeta may be 0 (not
//   written); they are overwritten, not accumulated into. y may equal x, x̂ may equal x, dx may equal dy.
// lnParamGrads(n, c, ld, xhat, dy, dgamma, dbeta)   ∂γ and ∂β alone, on the first c columns of
//   rows ld ≥ c floats apart, with the roundings of lnBackward's (each column from 0, rows in
//   order, dy·x̂ rounded before it is added; lanes are columns, so the blocking does not matter).
//   With threads, the model calls it and then lnBackward with dgamma = dbeta = 0: the parameter
//   sums split by columns, ∂x by rows (src/engine/threads/plans-norm.ts). In that order because
//   the model's dx is dy (in place): the sums read dy before lnBackward overwrites it.

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

export function lnForward(n: i32, c: i32, x: usize, y: usize, xhat: usize, gamma: usize, beta: usize,
                          invstd: usize, eps: f32): void {
  if (n <= 0 || c <= 0) return;
  const c4 = c & ~3;
  const invC: f32 = <f32>1.0 / <f32>c;
  for (let i = 0; i < n; i++) {
    const row = <usize>i * (<usize>c << 2);
    const xr = x + row;
    let acc = f32x4.splat(0);
    for (let j = 0; j < c4; j += 4) acc = f32x4.add(acc, v128.load(xr + (<usize>j << 2)));
    let s = hsum(acc);
    for (let j = c4; j < c; j++) s += load<f32>(xr + (<usize>j << 2));
    const mu: f32 = s * invC;
    const muv = f32x4.splat(mu);
    acc = f32x4.splat(0);
    for (let j = 0; j < c4; j += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>j << 2)), muv);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    let q = hsum(acc);
    for (let j = c4; j < c; j++) { const d = load<f32>(xr + (<usize>j << 2)) - mu; q += d * d; }
    const is: f32 = <f32>1.0 / Mathf.sqrt(q * invC + eps);
    store<f32>(invstd + (<usize>i << 2), is);
    const isv = f32x4.splat(is);
    for (let j = 0; j < c4; j += 4) {
      const o = <usize>j << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + o), muv), isv);
      if (xhat != 0) v128.store(xhat + row + o, xh);
      v128.store(y + row + o, f32x4.add(f32x4.mul(xh, v128.load(gamma + o)), v128.load(beta + o)));
    }
    for (let j = c4; j < c; j++) {
      const o = <usize>j << 2;
      const xh: f32 = (load<f32>(xr + o) - mu) * is;
      if (xhat != 0) store<f32>(xhat + row + o, xh);
      store<f32>(y + row + o, xh * load<f32>(gamma + o) + load<f32>(beta + o));
    }
  }
}

export function lnBackward(n: i32, c: i32, xhat: usize, dy: usize, gamma: usize, invstd: usize,
                           dx: usize, dgamma: usize, dbeta: usize): void {
  if (n <= 0 || c <= 0) return;
  const c4 = c & ~3;
  const cf: f32 = <f32>c;
  const invC: f32 = <f32>1.0 / cf;
  if (dgamma != 0) memory.fill(dgamma, 0, <usize>c << 2);
  if (dbeta != 0) memory.fill(dbeta, 0, <usize>c << 2);
  const cv = f32x4.splat(cf);
  for (let i = 0; i < n; i++) {
    const row = <usize>i * (<usize>c << 2);
    const dr = dy + row, hr = xhat + row;
    let ag = f32x4.splat(0), agx = f32x4.splat(0);
    for (let j = 0; j < c4; j += 4) {
      const o = <usize>j << 2;
      const d = v128.load(dr + o), h = v128.load(hr + o);
      const g = f32x4.mul(d, v128.load(gamma + o));
      ag = f32x4.add(ag, g);
      agx = f32x4.add(agx, f32x4.mul(g, h));
      if (dgamma != 0) v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(d, h)));
      if (dbeta != 0) v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
    }
    let sg = hsum(ag), sgx = hsum(agx);
    for (let j = c4; j < c; j++) {
      const o = <usize>j << 2;
      const d = load<f32>(dr + o), h = load<f32>(hr + o);
      const g = d * load<f32>(gamma + o);
      sg += g;
      sgx += g * h;
      if (dgamma != 0) store<f32>(dgamma + o, load<f32>(dgamma + o) + d * h);
      if (dbeta != 0) store<f32>(dbeta + o, load<f32>(dbeta + o) + d);
    }
    if (dx == 0) continue;
    const k: f32 = load<f32>(invstd + (<usize>i << 2)) * invC;
    const kv = f32x4.splat(k), sgv = f32x4.splat(sg), sgxv = f32x4.splat(sgx);
    const xr = dx + row;
    for (let j = 0; j < c4; j += 4) {
      const o = <usize>j << 2;
      const g = f32x4.mul(v128.load(dr + o), v128.load(gamma + o));
      const t = f32x4.sub(f32x4.sub(f32x4.mul(cv, g), sgv), f32x4.mul(v128.load(hr + o), sgxv));
      v128.store(xr + o, f32x4.mul(kv, t));
    }
    for (let j = c4; j < c; j++) {
      const o = <usize>j << 2;
      const g = load<f32>(dr + o) * load<f32>(gamma + o);
      store<f32>(xr + o, k * ((cf * g - sg) - load<f32>(hr + o) * sgx));
    }
  }
}

export function lnParamGrads(n: i32, c: i32, ld: i32, xhat: usize, dy: usize, dgamma: usize, dbeta: usize): void {
  if (n <= 0 || c <= 0) return;
  const ldb = <usize>ld << 2;
  let j = 0;
  // 16 columns at a time (a cache line of each row; eight accumulators), then 4, then one by one
  for (; j + 16 <= c; j += 16) {
    const o = <usize>j << 2;
    let g0 = f32x4.splat(0), g1 = g0, g2 = g0, g3 = g0, b0 = g0, b1 = g0, b2 = g0, b3 = g0;
    let p: usize = o;
    for (let i = 0; i < n; i++) {
      const dp = dy + p, hp = xhat + p;
      const d0 = v128.load(dp), d1 = v128.load(dp, 16), d2 = v128.load(dp, 32), d3 = v128.load(dp, 48);
      g0 = f32x4.add(g0, f32x4.mul(d0, v128.load(hp))); g1 = f32x4.add(g1, f32x4.mul(d1, v128.load(hp, 16)));
      g2 = f32x4.add(g2, f32x4.mul(d2, v128.load(hp, 32))); g3 = f32x4.add(g3, f32x4.mul(d3, v128.load(hp, 48)));
      b0 = f32x4.add(b0, d0); b1 = f32x4.add(b1, d1); b2 = f32x4.add(b2, d2); b3 = f32x4.add(b3, d3);
      p += ldb;
    }
    if (dgamma != 0) {
      const q = dgamma + o;
      v128.store(q, g0); v128.store(q, g1, 16); v128.store(q, g2, 32); v128.store(q, g3, 48);
    }
    if (dbeta != 0) {
      const q = dbeta + o;
      v128.store(q, b0); v128.store(q, b1, 16); v128.store(q, b2, 32); v128.store(q, b3, 48);
    }
  }
  for (; j + 4 <= c; j += 4) {
    const o = <usize>j << 2;
    let g = f32x4.splat(0), b = f32x4.splat(0);
    let p: usize = o;
    for (let i = 0; i < n; i++) {
      const d = v128.load(dy + p);
      g = f32x4.add(g, f32x4.mul(d, v128.load(xhat + p)));
      b = f32x4.add(b, d);
      p += ldb;
    }
    if (dgamma != 0) v128.store(dgamma + o, g);
    if (dbeta != 0) v128.store(dbeta + o, b);
  }
  for (; j < c; j++) {
    const o = <usize>j << 2;
    let g: f32 = 0, b: f32 = 0;
    let p: usize = o;
    for (let i = 0; i < n; i++) {
      const d = load<f32>(dy + p);
      g += d * load<f32>(xhat + p);
      b += d;
      p += ldb;
    }
    if (dgamma != 0) store<f32>(dgamma + o, g);
    if (dbeta != 0) store<f32>(dbeta + o, b);
  }
}
