// Register-tiled GEMM macro-kernels: C[mc×nc] = α·Ap·Bp + β·C (+ bias), over packed panels.
//
// A micro-kernel keeps an MR×8 tile of C in registers (MR·2 f32x4 accumulators) and walks the
// k dimension: per step it loads 8 values of the packed B panel (two f32x4) and broadcasts
// MR values of the packed A panel, doing 2·MR multiply-adds: 16·MR flops for MR+2 loads.
//   4×8: 8 accumulators + 2 B + 1 A = 11 of the 16 xmm registers. The plain-SIMD choice:
//        with separate mul and add a 6×8 tile runs out of registers.
//   5×8: 10 accumulators + 2 B + 1 A = 13 registers. The relaxed-SIMD choice: an FMA has a
//        latency of ~5 cycles and two pipes issue one each per cycle, so ≥ 10 independent
//        accumulator chains are needed to keep both busy; 4×8 (8 chains) tops out near 80%.
//   6×8: 12 accumulators + 2 B + 1 A = 15 registers: every xmm register V8 allocates on x64
//        (xmm15 is its scratch), so the loop spills and runs at half speed in Node 20.
// The tile loops are ordered as in BLIS: jr outside, ir inside, so one kc×8 B panel (25 KB
// at kc = 784, the driver's usual block) stays in L1 while the mc×kc A block streams from L2.
//
// Write-back, per element, in this order for every tile (full tiles in SIMD, edge tiles
// through a scratch tile in scalar code — the same roundings either way):
//   v = α·acc;  if β ≠ 0: v = v + β·C;  if bias: v = v + bias[j];  C = v
// β = 0 never reads C (so NaN or garbage in C does not leak through), as in BLAS.
// Each macro-kernel also has a Direct form that reads B in place (row-major, bStep bytes per
// row) instead of packed panels, for the driver's gemmDirectB: the same loop with another B
// stride (the packed forms pass the constants 32 and kc·32, folded when inlined).
// A last panel of at most 4 columns (n = 10: 8 + 2) runs a narrow loop, one f32x4 of B and
// one accumulator per row, instead of two of which the second is padding: half the
// multiply-adds for that panel (tiles of 4 and 5 rows; the 6-row tile, an option that spills
// in Node 20, keeps the wide loop). Every element still sees the same multiply-adds in the same
// order and the same scalar write-back as an edge tile, so the bits are those of the wide loop.
// The Narrow…Direct forms read such a tail of a row-major B in place with loads of exactly its
// 1–4 floats (no packing, nothing read past the row).

import { madd } from "../simd";

@inline function writeRow(cp: usize, a0: v128, a1: v128, alpha: f32, beta: f32, bias: usize): void {
  const alphav = f32x4.splat(alpha);
  let v0 = f32x4.mul(a0, alphav);
  let v1 = f32x4.mul(a1, alphav);
  if (beta != 0) {
    const betav = f32x4.splat(beta);
    v0 = f32x4.add(v0, f32x4.mul(betav, v128.load(cp)));
    v1 = f32x4.add(v1, f32x4.mul(betav, v128.load(cp, 16)));
  }
  if (bias != 0) {
    v0 = f32x4.add(v0, v128.load(bias));
    v1 = f32x4.add(v1, v128.load(bias, 16));
  }
  v128.store(cp, v0);
  v128.store(cp, v1, 16);
}

/** Scalar write-back of an mr×nr corner of a tile stored row-major (8 floats per row) at tile. */
function writeEdge(tile: usize, mr: i32, nr: i32, cp: usize, ldc: i32, alpha: f32, beta: f32, bias: usize): void {
  for (let r = 0; r < mr; r++) {
    const row = cp + ((<usize>r * ldc) << 2);
    for (let j = 0; j < nr; j++) {
      const q = row + (<usize>j << 2);
      let v = alpha * load<f32>(tile + ((<usize>(r * 8 + j)) << 2));
      if (beta != 0) v = v + beta * load<f32>(q);
      if (bias != 0) v = v + load<f32>(bias + (<usize>j << 2));
      store<f32>(q, v);
    }
  }
}

/**
 * Four floats of B at p: a whole f32x4 (nt = 0: a packed, zero-padded panel, or 4 columns in
 * place), else exactly nt = 1, 2 or 3 floats, the other lanes zero. nt is the same at every k
 * step of a loop: its branches are predicted (one loop per tile height keeps the modules small).
 */
@inline function loadB4(p: usize, nt: i32): v128 {
  if (nt == 1) return v128.load32_zero(p);
  if (nt == 2) return v128.load64_zero(p);
  if (nt == 3) return v128.load32_lane(p, v128.load64_zero(p), 2, 8);
  return v128.load(p);
}

/** The narrow loop for MR = 4: nr ≤ 4 columns of C at c; B from pb0, bStep bytes per k step. */
function narrow4(mc: i32, kc: i32, ap: usize, pb0: usize, bStep: usize, c: usize, ldc: i32,
                         alpha: f32, beta: f32, bias: usize, tile: usize, nr: i32, nt: i32): void {
  const ldcb = <usize>ldc << 2;
  for (let ir = 0; ir < mc; ir += 4) {
    let pa = ap + <usize>ir * kc * 4;
    let pb = pb0;
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    for (let p = 0; p < kc; p++) {
      const b = loadB4(pb, nt);
      c0 = madd(v128.load32_splat(pa), b, c0);
      c1 = madd(v128.load32_splat(pa, 4), b, c1);
      c2 = madd(v128.load32_splat(pa, 8), b, c2);
      c3 = madd(v128.load32_splat(pa, 12), b, c3);
      pa += 16;
      pb += bStep;
    }
    v128.store(tile, c0); v128.store(tile, c1, 32); v128.store(tile, c2, 64); v128.store(tile, c3, 96);
    writeEdge(tile, min(4, mc - ir), nr, c + <usize>ir * ldcb, ldc, alpha, beta, bias);
  }
}

/**
 * The narrow loop for MR = 5 (rows 0–3 of a step from one load, as tile5x8). Two row tiles at a
 * time while there are: each accumulator is a chain of kc dependent multiply-adds, and 5 chains
 * do not cover the latency of the two FMA pipes (~4 cycles each); 10 do.
 */
function narrow5(mc: i32, kc: i32, ap: usize, pb0: usize, bStep: usize, c: usize, ldc: i32,
                         alpha: f32, beta: f32, bias: usize, tile: usize, nr: i32, nt: i32): void {
  const ldcb = <usize>ldc << 2;
  let ir = 0;
  for (; ir + 10 <= mc; ir += 10) {
    let pa = ap + <usize>ir * kc * 4;
    const tileGap = <usize>kc * 20; // bytes from one 5-row tile of packed A to the next
    let pb = pb0;
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0), c4 = f32x4.splat(0);
    let d0 = f32x4.splat(0), d1 = f32x4.splat(0), d2 = f32x4.splat(0), d3 = f32x4.splat(0), d4 = f32x4.splat(0);
    for (let p = 0; p < kc; p++) {
      const b = loadB4(pb, nt);
      const a03 = v128.load(pa);
      const e03 = v128.load(pa + tileGap);
      c0 = madd(v128.shuffle<f32>(a03, a03, 0, 0, 0, 0), b, c0);
      d0 = madd(v128.shuffle<f32>(e03, e03, 0, 0, 0, 0), b, d0);
      c1 = madd(v128.shuffle<f32>(a03, a03, 1, 1, 1, 1), b, c1);
      d1 = madd(v128.shuffle<f32>(e03, e03, 1, 1, 1, 1), b, d1);
      c2 = madd(v128.shuffle<f32>(a03, a03, 2, 2, 2, 2), b, c2);
      d2 = madd(v128.shuffle<f32>(e03, e03, 2, 2, 2, 2), b, d2);
      c3 = madd(v128.shuffle<f32>(a03, a03, 3, 3, 3, 3), b, c3);
      d3 = madd(v128.shuffle<f32>(e03, e03, 3, 3, 3, 3), b, d3);
      c4 = madd(v128.load32_splat(pa, 16), b, c4);
      d4 = madd(v128.load32_splat(pa + tileGap, 16), b, d4);
      pa += 20;
      pb += bStep;
    }
    v128.store(tile, c0); v128.store(tile, c1, 32); v128.store(tile, c2, 64); v128.store(tile, c3, 96); v128.store(tile, c4, 128);
    writeEdge(tile, 5, nr, c + <usize>ir * ldcb, ldc, alpha, beta, bias);
    v128.store(tile, d0); v128.store(tile, d1, 32); v128.store(tile, d2, 64); v128.store(tile, d3, 96); v128.store(tile, d4, 128);
    writeEdge(tile, 5, nr, c + <usize>(ir + 5) * ldcb, ldc, alpha, beta, bias);
  }
  for (; ir < mc; ir += 5) {
    let pa = ap + <usize>ir * kc * 4;
    let pb = pb0;
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0), c4 = f32x4.splat(0);
    for (let p = 0; p < kc; p++) {
      const b = loadB4(pb, nt);
      const a03 = v128.load(pa);
      c0 = madd(v128.shuffle<f32>(a03, a03, 0, 0, 0, 0), b, c0);
      c1 = madd(v128.shuffle<f32>(a03, a03, 1, 1, 1, 1), b, c1);
      c2 = madd(v128.shuffle<f32>(a03, a03, 2, 2, 2, 2), b, c2);
      c3 = madd(v128.shuffle<f32>(a03, a03, 3, 3, 3, 3), b, c3);
      c4 = madd(v128.load32_splat(pa, 16), b, c4);
      pa += 20;
      pb += bStep;
    }
    v128.store(tile, c0); v128.store(tile, c1, 32); v128.store(tile, c2, 64); v128.store(tile, c3, 96); v128.store(tile, c4, 128);
    writeEdge(tile, min(5, mc - ir), nr, c + <usize>ir * ldcb, ldc, alpha, beta, bias);
  }
}

/**
 * C[mc×nt] = A·B + β·C (+ bias) for the last nt ≤ 4 columns of a row-major B read in place
 * (b at the first of them, bStep bytes per row): gemmDirectB's tail, without packing it.
 */
export function macroNarrowDirect(mr: i32, mc: i32, nt: i32, kc: i32, ap: usize, b: usize, bStep: usize, c: usize, ldc: i32,
                                  beta: f32, bias: usize, tile: usize): void {
  if (mr == 5) narrow5(mc, kc, ap, b, bStep, c, ldc, 1, beta, bias, tile, nt, nt);
  else narrow4(mc, kc, ap, b, bStep, c, ldc, 1, beta, bias, tile, nt, nt);
}

/** MR = 4 over packed B panels (kc·8 floats each). */
export function macro4x8(mc: i32, nc: i32, kc: i32, ap: usize, bp: usize, c: usize, ldc: i32,
                         alpha: f32, beta: f32, bias: usize, tile: usize): void {
  tile4x8(mc, nc, kc, ap, bp, 32, <usize>kc * 32, c, ldc, alpha, beta, bias, tile);
}

/** MR = 4 reading B in place: row-major, bStep bytes between rows; nc a multiple of 8. */
export function macro4x8Direct(mc: i32, nc: i32, kc: i32, ap: usize, b: usize, bStep: usize, c: usize, ldc: i32,
                               alpha: f32, beta: f32, bias: usize, tile: usize): void {
  tile4x8(mc, nc, kc, ap, b, bStep, 32, c, ldc, alpha, beta, bias, tile);
}

@inline function tile4x8(mc: i32, nc: i32, kc: i32, ap: usize, bp: usize, bStep: usize, bPanel: usize, c: usize, ldc: i32,
                         alpha: f32, beta: f32, bias: usize, tile: usize): void {
  const ldcb = <usize>ldc << 2;
  for (let jr = 0; jr < nc; jr += 8) {
    const nr = min(8, nc - jr);
    const pbj = bp + <usize>(jr >> 3) * bPanel;
    const biasj = bias != 0 ? bias + (<usize>jr << 2) : 0;
    if (nr <= 4) { // a last panel of ≤ 4 columns: the narrow loop (same bits)
      narrow4(mc, kc, ap, pbj, bStep, c + (<usize>jr << 2), ldc, alpha, beta, biasj, tile, nr, 0);
      continue;
    }
    for (let ir = 0; ir < mc; ir += 4) {
      const mr = min(4, mc - ir);
      let pa = ap + <usize>ir * kc * 4;
      let pb = pbj;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      for (let p = 0; p < kc; p++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        let a = v128.load32_splat(pa);
        c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
        a = v128.load32_splat(pa, 4);
        c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
        a = v128.load32_splat(pa, 8);
        c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
        a = v128.load32_splat(pa, 12);
        c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
        pa += 16;
        pb += bStep;
      }
      const cp = c + <usize>ir * ldcb + (<usize>jr << 2);
      if (mr == 4 && nr == 8) {
        writeRow(cp, c00, c01, alpha, beta, biasj);
        writeRow(cp + ldcb, c10, c11, alpha, beta, biasj);
        writeRow(cp + 2 * ldcb, c20, c21, alpha, beta, biasj);
        writeRow(cp + 3 * ldcb, c30, c31, alpha, beta, biasj);
      } else {
        v128.store(tile, c00); v128.store(tile, c01, 16);
        v128.store(tile, c10, 32); v128.store(tile, c11, 48);
        v128.store(tile, c20, 64); v128.store(tile, c21, 80);
        v128.store(tile, c30, 96); v128.store(tile, c31, 112);
        writeEdge(tile, mr, nr, cp, ldc, alpha, beta, biasj);
      }
    }
  }
}

/** MR = 5 over packed B panels (kc·8 floats each). */
export function macro5x8(mc: i32, nc: i32, kc: i32, ap: usize, bp: usize, c: usize, ldc: i32,
                         alpha: f32, beta: f32, bias: usize, tile: usize): void {
  tile5x8(mc, nc, kc, ap, bp, 32, <usize>kc * 32, c, ldc, alpha, beta, bias, tile);
}

/** MR = 5 reading B in place: row-major, bStep bytes between rows; nc a multiple of 8. */
export function macro5x8Direct(mc: i32, nc: i32, kc: i32, ap: usize, b: usize, bStep: usize, c: usize, ldc: i32,
                               alpha: f32, beta: f32, bias: usize, tile: usize): void {
  tile5x8(mc, nc, kc, ap, b, bStep, 32, c, ldc, alpha, beta, bias, tile);
}

@inline function tile5x8(mc: i32, nc: i32, kc: i32, ap: usize, bp: usize, bStep: usize, bPanel: usize, c: usize, ldc: i32,
                         alpha: f32, beta: f32, bias: usize, tile: usize): void {
  const ldcb = <usize>ldc << 2;
  for (let jr = 0; jr < nc; jr += 8) {
    const nr = min(8, nc - jr);
    const pbj = bp + <usize>(jr >> 3) * bPanel;
    const biasj = bias != 0 ? bias + (<usize>jr << 2) : 0;
    if (nr <= 4) { // a last panel of ≤ 4 columns: the narrow loop (same bits)
      narrow5(mc, kc, ap, pbj, bStep, c + (<usize>jr << 2), ldc, alpha, beta, biasj, tile, nr, 0);
      continue;
    }
    for (let ir = 0; ir < mc; ir += 5) {
      const mr = min(5, mc - ir);
      let pa = ap + <usize>ir * kc * 4;
      let pb = pbj;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
      for (let p = 0; p < kc; p++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const a03 = v128.load(pa);
        let a = v128.shuffle<f32>(a03, a03, 0, 0, 0, 0);
        c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
        a = v128.shuffle<f32>(a03, a03, 1, 1, 1, 1);
        c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
        a = v128.shuffle<f32>(a03, a03, 2, 2, 2, 2);
        c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
        a = v128.shuffle<f32>(a03, a03, 3, 3, 3, 3);
        c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
        a = v128.load32_splat(pa, 16);
        c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
        pa += 20;
        pb += bStep;
      }
      const cp = c + <usize>ir * ldcb + (<usize>jr << 2);
      if (mr == 5 && nr == 8) {
        writeRow(cp, c00, c01, alpha, beta, biasj);
        writeRow(cp + ldcb, c10, c11, alpha, beta, biasj);
        writeRow(cp + 2 * ldcb, c20, c21, alpha, beta, biasj);
        writeRow(cp + 3 * ldcb, c30, c31, alpha, beta, biasj);
        writeRow(cp + 4 * ldcb, c40, c41, alpha, beta, biasj);
      } else {
        v128.store(tile, c00); v128.store(tile, c01, 16);
        v128.store(tile, c10, 32); v128.store(tile, c11, 48);
        v128.store(tile, c20, 64); v128.store(tile, c21, 80);
        v128.store(tile, c30, 96); v128.store(tile, c31, 112);
        v128.store(tile, c40, 128); v128.store(tile, c41, 144);
        writeEdge(tile, mr, nr, cp, ldc, alpha, beta, biasj);
      }
    }
  }
}

/** MR = 6 over packed B panels (kc·8 floats each). */
export function macro6x8(mc: i32, nc: i32, kc: i32, ap: usize, bp: usize, c: usize, ldc: i32,
                         alpha: f32, beta: f32, bias: usize, tile: usize): void {
  tile6x8(mc, nc, kc, ap, bp, 32, <usize>kc * 32, c, ldc, alpha, beta, bias, tile);
}

/** MR = 6 reading B in place: row-major, bStep bytes between rows; nc a multiple of 8. */
export function macro6x8Direct(mc: i32, nc: i32, kc: i32, ap: usize, b: usize, bStep: usize, c: usize, ldc: i32,
                               alpha: f32, beta: f32, bias: usize, tile: usize): void {
  tile6x8(mc, nc, kc, ap, b, bStep, 32, c, ldc, alpha, beta, bias, tile);
}

@inline function tile6x8(mc: i32, nc: i32, kc: i32, ap: usize, bp: usize, bStep: usize, bPanel: usize, c: usize, ldc: i32,
                         alpha: f32, beta: f32, bias: usize, tile: usize): void {
  const ldcb = <usize>ldc << 2;
  for (let jr = 0; jr < nc; jr += 8) {
    const nr = min(8, nc - jr);
    const pbj = bp + <usize>(jr >> 3) * bPanel;
    const biasj = bias != 0 ? bias + (<usize>jr << 2) : 0;
    for (let ir = 0; ir < mc; ir += 6) {
      const mr = min(6, mc - ir);
      let pa = ap + <usize>ir * kc * 4;
      let pb = pbj;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
      let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
      for (let p = 0; p < kc; p++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        let a = v128.load32_splat(pa);
        c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
        a = v128.load32_splat(pa, 4);
        c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
        a = v128.load32_splat(pa, 8);
        c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
        a = v128.load32_splat(pa, 12);
        c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
        a = v128.load32_splat(pa, 16);
        c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
        a = v128.load32_splat(pa, 20);
        c50 = madd(a, b0, c50); c51 = madd(a, b1, c51);
        pa += 24;
        pb += bStep;
      }
      const cp = c + <usize>ir * ldcb + (<usize>jr << 2);
      if (mr == 6 && nr == 8) {
        writeRow(cp, c00, c01, alpha, beta, biasj);
        writeRow(cp + ldcb, c10, c11, alpha, beta, biasj);
        writeRow(cp + 2 * ldcb, c20, c21, alpha, beta, biasj);
        writeRow(cp + 3 * ldcb, c30, c31, alpha, beta, biasj);
        writeRow(cp + 4 * ldcb, c40, c41, alpha, beta, biasj);
        writeRow(cp + 5 * ldcb, c50, c51, alpha, beta, biasj);
      } else {
        v128.store(tile, c00); v128.store(tile, c01, 16);
        v128.store(tile, c10, 32); v128.store(tile, c11, 48);
        v128.store(tile, c20, 64); v128.store(tile, c21, 80);
        v128.store(tile, c30, 96); v128.store(tile, c31, 112);
        v128.store(tile, c40, 128); v128.store(tile, c41, 144);
        v128.store(tile, c50, 160); v128.store(tile, c51, 176);
        writeEdge(tile, mr, nr, cp, ldc, alpha, beta, biasj);
      }
    }
  }
}
