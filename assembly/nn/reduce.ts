// Row and column reductions over row-major f32 matrices (pointers in bytes, sizes in elements).
//
//   colSum:     out[j] = β·out[j] + Σ_i x[i·cols + j]      (the bias gradient; β = 0 never reads
//               out, so NaN or garbage there does not leak through)
//   colSumLd:   the same on the first cols columns of rows ld ≥ cols floats apart: the column-range
//               entry point of the threaded plan (src/engine/threads/plans-norm.ts), which splits
//               at multiples of 16 columns, so every chunk walks the blocks the whole call would
//   argmaxRows: out[i] = the first j with x[i·cols + j] = max_j x[i·cols + j]   (i32; −1 if cols = 0)
//   rowMax:     max_j x[j] (helper for softmax)
//
// colSum walks 16 columns at a time (four f32x4 accumulators) down all rows, so each cache
// line of x is read once, then 4 columns at a time, then single columns. Each column sum is
// accumulated in f32 in row order starting from 0, then β·out (if β ≠ 0) is added: exactly the
// roundings of the obvious scalar loop, in both builds (no fused multiply-add).
// argmaxRows keeps a per-lane running maximum with its index (strict >, so the first of equal
// values wins within a lane), merges the lanes (ties → smaller index), then scans the tail.
// A row containing NaN gets an index in [0, cols) that is not otherwise specified.

import { loadTail } from "./math";

export function colSum(rows: i32, cols: i32, x: usize, out: usize, beta: f32): void {
  colSumLd(rows, cols, cols, x, out, beta);
}

export function colSumLd(rows: i32, cols: i32, ldx: i32, x: usize, out: usize, beta: f32): void {
  if (cols <= 0) return;
  const ld = <usize>ldx << 2;
  const bv = f32x4.splat(beta);
  let j = 0;
  for (; j + 16 <= cols; j += 16) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let p = x + (<usize>j << 2);
    for (let i = 0; i < rows; i++) {
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32));
      a3 = f32x4.add(a3, v128.load(p, 48));
      p += ld;
    }
    const po = out + (<usize>j << 2);
    if (beta != 0) {
      a0 = f32x4.add(f32x4.mul(bv, v128.load(po)), a0);
      a1 = f32x4.add(f32x4.mul(bv, v128.load(po, 16)), a1);
      a2 = f32x4.add(f32x4.mul(bv, v128.load(po, 32)), a2);
      a3 = f32x4.add(f32x4.mul(bv, v128.load(po, 48)), a3);
    }
    v128.store(po, a0);
    v128.store(po, a1, 16);
    v128.store(po, a2, 32);
    v128.store(po, a3, 48);
  }
  for (; j + 4 <= cols; j += 4) {
    let a = f32x4.splat(0);
    let p = x + (<usize>j << 2);
    for (let i = 0; i < rows; i++) {
      a = f32x4.add(a, v128.load(p));
      p += ld;
    }
    const po = out + (<usize>j << 2);
    if (beta != 0) a = f32x4.add(f32x4.mul(bv, v128.load(po)), a);
    v128.store(po, a);
  }
  for (; j < cols; j++) {
    let a: f32 = 0;
    let p = x + (<usize>j << 2);
    for (let i = 0; i < rows; i++) {
      a += load<f32>(p);
      p += ld;
    }
    const po = out + (<usize>j << 2);
    if (beta != 0) a = beta * load<f32>(po) + a;
    store<f32>(po, a);
  }
}

/** Largest lane of v. */
@inline export function hmax(v: v128): f32 {
  const m = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

/** max_j x[j] for n ≥ 1 (NaN elements may or may not propagate). */
export function rowMax(n: i32, x: usize): f32 {
  if (n < 4) {
    let m = load<f32>(x);
    for (let j = 1; j < n; j++) m = max(m, load<f32>(x + (<usize>j << 2)));
    return m;
  }
  let m0 = v128.load(x);
  let m1 = m0;
  let j = 4;
  for (; j + 8 <= n; j += 8) {
    const p = x + (<usize>j << 2);
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
  }
  if (j + 4 <= n) {
    m0 = f32x4.pmax(m0, v128.load(x + (<usize>j << 2)));
    j += 4;
  }
  if (j < n) m1 = f32x4.pmax(m1, loadTail(x + (<usize>j << 2), n - j, -Infinity));
  return hmax(f32x4.pmax(m0, m1));
}

function argmaxRow(cols: i32, x: usize): i32 {
  let best = load<f32>(x);
  let bi = 0;
  let j = 1;
  if (cols >= 8) {
    let bv = v128.load(x);
    let bidx = i32x4(0, 1, 2, 3);
    let idx = bidx;
    const four = i32x4.splat(4);
    for (j = 4; j + 4 <= cols; j += 4) {
      idx = i32x4.add(idx, four);
      const v = v128.load(x + (<usize>j << 2));
      const gt = f32x4.gt(v, bv);
      bv = v128.bitselect(v, bv, gt);
      bidx = v128.bitselect(idx, bidx, gt);
    }
    best = f32x4.extract_lane(bv, 0);
    bi = i32x4.extract_lane(bidx, 0);
    let v = f32x4.extract_lane(bv, 1), k = i32x4.extract_lane(bidx, 1);
    if (v > best || (v == best && k < bi)) { best = v; bi = k; }
    v = f32x4.extract_lane(bv, 2); k = i32x4.extract_lane(bidx, 2);
    if (v > best || (v == best && k < bi)) { best = v; bi = k; }
    v = f32x4.extract_lane(bv, 3); k = i32x4.extract_lane(bidx, 3);
    if (v > best || (v == best && k < bi)) { best = v; bi = k; }
  }
  for (; j < cols; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    if (v > best) { best = v; bi = j; }
  }
  return bi;
}

export function argmaxRows(rows: i32, cols: i32, x: usize, out: usize): void {
  const ld = <usize>max(cols, 0) << 2;
  for (let i = 0; i < rows; i++) {
    store<i32>(out + (<usize>i << 2), cols > 0 ? argmaxRow(cols, x + <usize>i * ld) : -1);
  }
}
