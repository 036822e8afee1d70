// A convolution layer's three products over small lowerings that stay in cache.
//
// conv2d.ts used to lower a whole batch (up to 8 MiB of im2col rows) and hand it to the GEMM:
// LeNet-5's first layer at batch 100 wrote 7.8 MB of lowered rows, then the GEMM read them back
// to pack them — two passes through memory for a product of only 25 × 6 multiply-adds per row.
// Here each call walks its images in sub-blocks of `sb` images whose lowering fits the scratch
// that follows the GEMM workspace (LOWER_FLOATS, 256 KB: it stays in L2 between the im2col that
// writes it and the GEMM that packs it). LeNet-5 batch 100, one thread: 6.5 → 9.0 k samples/s.
//
// geo: i32[13] written by the layer (src/nn/layers/conv2d.ts): h, w, c, kh, kw, sh, sw, ph, pw,
// dh, dw, oh, ow. A group's channels are c0 .. c0+cg−1 of c; K = kh·kw·cg, rows = oh·ow per
// image, and sb·rows·K ≤ LOWER_FLOATS (the layer uses the whole-batch path of conv.ts
// otherwise). Calls take images img0 .. img0+n−1 of the batch whose image 0 is at x (dz, y, dx
// likewise): a thread's chunk moves img0 only. `cost` (multiply-adds per image) is for the
// thread planner (src/engine/threads/plans-conv.ts); the kernels ignore it.
//
// Bits. The forward product and the input gradient give exactly the bits of one im2col + GEMM
// over the whole batch: a GEMM's output element is one multiply-add chain over its k blocks,
// which depend on k only, not on where the rows are cut. The weight gradient is a sum over all
// pixels of the batch: each sub-block's share (its partial, a GEMM with β = 0 into
// partials[(first image)/sb]) is computed alone, and convPartialSum adds the partials in
// sub-block order. Sub-blocks are fixed by the sizes (sb) — never by how a call is split across
// threads, which cuts calls at multiples of sb — so the bits are the same for any thread count.

import { gemm, gemmLoweringOffset, LOWER_FLOATS } from "../gemm/driver";
import { im2col, col2im } from "./conv";

@inline function g(geo: usize, i: i32): i32 {
  return load<i32>(geo + (<usize>i << 2));
}

/** Floats of a group's lowered row (K) and rows per image (oh·ow). */
@inline function colsOf(geo: usize, cg: i32): i32 {
  return g(geo, 3) * g(geo, 4) * cg;
}
@inline function rowsOf(geo: usize): i32 {
  return g(geo, 11) * g(geo, 12);
}
/** Bytes of one NHWC input image. */
@inline function imageBytes(geo: usize): usize {
  return <usize>g(geo, 0) * g(geo, 1) * g(geo, 2) << 2;
}

/** The workspace's lowering scratch, checked to hold sb images (a trap, not a write past it). */
@inline function scratch(work: usize, sb: i32, geo: usize, cg: i32): usize {
  if (<i64>sb * rowsOf(geo) * colsOf(geo, cg) > <i64>LOWER_FLOATS) unreachable();
  return work + gemmLoweringOffset();
}

/** Lower imgs images at x (channels c0 .. c0+cg−1) into cols, by geo's window. */
@inline function lower(geo: usize, imgs: i32, c0: i32, cg: i32, x: usize, cols: usize): void {
  im2col(imgs, g(geo, 0), g(geo, 1), g(geo, 2), c0, cg, g(geo, 3), g(geo, 4), g(geo, 5), g(geo, 6), g(geo, 7),
    g(geo, 8), g(geo, 9), g(geo, 10), g(geo, 11), g(geo, 12), x, cols);
}

/** Floats of the lowering scratch that follows each GEMM workspace. */
export function convLowerFloats(): i32 {
  return LOWER_FLOATS;
}

/** y[n images, :, fg columns at y] = lower(x, channels c0..) · W (+ bias), sb images at a time. */
export function convForward(n: i32, img0: i32, sb: i32, cost: f64, geo: usize, c0: i32, cg: i32, x: usize, wt: usize, ldw: i32,
                            fg: i32, bias: usize, y: usize, ldy: i32, tile: i32, work: usize): void {
  sb = max(1, sb);
  const k = colsOf(geo, cg), rows = rowsOf(geo), cols = scratch(work, sb, geo, cg);
  const imgB = imageBytes(geo), yB = <usize>rows * ldy << 2;
  for (let i = img0; i < img0 + n; i += sb) {
    const imgs = min(sb, img0 + n - i);
    lower(geo, imgs, c0, cg, x + <usize>i * imgB, cols);
    gemm(tile, 0, 0, imgs * rows, fg, k, 1, cols, k, wt, ldw, 0, y + <usize>i * yB, ldy, bias, work);
  }
}

/**
 * The partials of ∂L/∂W for images [img0, img0 + n) of a batch: sub-block s (images
 * s·sb .. s·sb + sb − 1 of the batch) writes partials[s] = lower(x)ᵀ · dZ, K × fg floats.
 * img0 is a multiple of sb.
 */
export function convWeightPartials(n: i32, img0: i32, sb: i32, cost: f64, geo: usize, c0: i32, cg: i32, x: usize, dz: usize,
                                   lddz: i32, fg: i32, partials: usize, tile: i32, work: usize): void {
  sb = max(1, sb);
  const k = colsOf(geo, cg), rows = rowsOf(geo), cols = scratch(work, sb, geo, cg);
  const imgB = imageBytes(geo), dzB = <usize>rows * lddz << 2, partB = <usize>k * fg << 2;
  for (let i = img0; i < img0 + n; i += sb) {
    const imgs = min(sb, img0 + n - i);
    lower(geo, imgs, c0, cg, x + <usize>i * imgB, cols);
    gemm(tile, 1, 0, k, fg, imgs * rows, 1, cols, k, dz + <usize>i * dzB, lddz, 0,
      partials + <usize>(i / sb) * partB, fg, 0, work);
  }
}

/**
 * dst[r, 0..cols) (row stride ldd) = Σ_s partials[s][r, 0..cols), s = 0 .. count−1 in order
 * (each partial rows × cols, contiguous). Rows r0 .. r0+nrows−1 (a chunk of the rows).
 */
export function convPartialSum(count: i32, nrows: i32, r0: i32, rowsTotal: i32, cols: i32, partials: usize, dst: usize, ldd: i32): void {
  const partB = <usize>rowsTotal * cols << 2;
  for (let r = r0; r < r0 + nrows; r++) {
    const d = dst + (<usize>(r - r0) * ldd << 2);
    const p0 = partials + (<usize>r * cols << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      let s = v128.load(p0 + o);
      for (let q = 1; q < count; q++) s = f32x4.add(s, v128.load(p0 + <usize>q * partB + o));
      v128.store(d + o, s);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      let s = load<f32>(p0 + o);
      for (let q = 1; q < count; q++) s += load<f32>(p0 + <usize>q * partB + o);
      store<f32>(d + o, s);
    }
  }
}

/** dx channels c0..c0+cg−1 of n images = col2im(dZ · Wᵀ), sb images at a time. */
export function convInputGrad(n: i32, img0: i32, sb: i32, cost: f64, geo: usize, c0: i32, cg: i32, dz: usize, lddz: i32,
                              wt: usize, ldw: i32, fg: i32, dx: usize, tile: i32, work: usize): void {
  sb = max(1, sb);
  const k = colsOf(geo, cg), rows = rowsOf(geo), cols = scratch(work, sb, geo, cg);
  const imgB = imageBytes(geo), dzB = <usize>rows * lddz << 2;
  for (let i = img0; i < img0 + n; i += sb) {
    const imgs = min(sb, img0 + n - i);
    gemm(tile, 0, 1, imgs * rows, k, fg, 1, dz + <usize>i * dzB, lddz, wt, ldw, 0, cols, k, 0, work);
    col2im(imgs, g(geo, 0), g(geo, 1), g(geo, 2), c0, cg, g(geo, 3), g(geo, 4), g(geo, 5), g(geo, 6), g(geo, 7),
      g(geo, 8), g(geo, 9), g(geo, 10), g(geo, 11), g(geo, 12), cols, dx + <usize>i * imgB, 0);
  }
}
