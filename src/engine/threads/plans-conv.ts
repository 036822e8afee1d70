// Chunk plans of the image kernels (assembly/nn/conv.ts, pool.ts): see plans.ts for what a
// plan is. Every one of them treats the images of a call independently — an output element is
// computed from its own image only, in an order fixed by the sizes — so a split into whole
// images gives the bits of the unsplit call for any thread count. The backward kernels that
// scatter-add (col2im, the pooling backwards) zero and fill one image's part of dx at a time,
// so image chunks never write the same memory either.
// Threshold: the elements a call writes (its output, or its dx), against THRESHOLDS.elementwise
// like any copy-and-add kernel; calls on a single image stay whole.

import { share, THRESHOLDS, zeros, type Plan, type Planner } from './plan-shapes.js';

/**
 * A kernel whose argument `count` is a number of images, with pointers advancing by a fixed
 * number of bytes per image (ptrs: [argument index, bytes per image]); `written` is the
 * elements one call writes, for the threshold.
 */
function perImage(count: number, ptrs: (a: number[]) => [number, number][], written: (a: number[]) => number): Planner {
  return (a, threads): Plan | null => {
    const n = a[count];
    if (threads <= 1 || n < 2 || written(a) < THRESHOLDS.elementwise) return null;
    const mult0 = zeros(a.length);
    for (const [i, bytes] of ptrs(a)) mult0[i] = a[i] === 0 ? 0 : bytes;
    return { dim0: n, dim1: 1, c0: share(n, threads, 1), c1: 1, cnt0: count, cnt1: -1, mult0, mult1: zeros(a.length), work: -1, combine: 'none', parallel: true };
  };
}

/**
 * The fused conv products (assembly/nn/conv-fused.ts: n, img0, sb, cost, …, work last): chunks of
 * whole sub-blocks of sb images (a chunk moves img0, nothing else), so the sub-blocks — and the
 * weight gradient's partials — are those of an unsplit call. Worth it from THRESHOLDS.gemm
 * multiply-adds, like a GEMM; each thread lowers into its own workspace's scratch.
 */
function perSubBlock(a: number[], threads: number): Plan | null {
  const n = a[0], sb = Math.max(1, a[2]);
  if (threads <= 1 || n <= sb || n * a[3] < THRESHOLDS.gemm) return null;
  const mult0 = zeros(a.length);
  mult0[1] = 1;
  return { dim0: n, dim1: 1, c0: share(n, threads, sb), c1: 1, cnt0: 0, cnt1: -1, mult0, mult1: zeros(a.length), work: a.length - 1, combine: 'none', parallel: true };
}

// im2col / col2im (n, h, w, c, c0, cg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, x|cols, cols|dx, …)
const image = (a: number[]): number => a[1] * a[2] * a[3] * 4;
const lowered = (a: number[]): number => a[14] * a[15] * a[6] * a[7] * a[5] * 4;

export const CONV_PLANS: Record<string, Planner> = {
  convForward: perSubBlock,
  convWeightPartials: perSubBlock,
  convInputGrad: perSubBlock,
  // convPartialSum(count, nrows, r0, rowsTotal, cols, partials, dst, ldd): rows of the sum
  convPartialSum: (a, threads) => {
    const rows = a[1];
    if (threads <= 1 || rows < 2 || a[0] * rows * a[4] < THRESHOLDS.elementwise) return null;
    const mult0 = zeros(a.length);
    mult0[2] = 1;
    mult0[6] = a[7] * 4;
    return { dim0: rows, dim1: 1, c0: share(rows, threads, 1), c1: 1, cnt0: 1, cnt1: -1, mult0, mult1: zeros(a.length), work: -1, combine: 'none', parallel: true };
  },
  im2col: perImage(0, (a) => [[16, image(a)], [17, lowered(a)]], (a) => a[0] * lowered(a) / 4),
  col2im: perImage(0, (a) => [[16, lowered(a)], [17, image(a)]], (a) => a[0] * image(a) / 4),
  // maxPoolForward(n, h, w, c, kh, kw, sh, sw, ph, pw, oh, ow, x, y, idx)
  maxPoolForward: perImage(0, (a) => [[12, image(a)], [13, a[10] * a[11] * a[3] * 4], [14, a[10] * a[11] * a[3] * 4]], (a) => a[0] * a[10] * a[11] * a[3]),
  // maxPoolBackward(n, h, w, c, oh, ow, dy, idx, dx)
  maxPoolBackward: perImage(0, (a) => [[6, a[4] * a[5] * a[3] * 4], [7, a[4] * a[5] * a[3] * 4], [8, image(a)]], (a) => a[0] * image(a) / 4),
  // avgPoolForward / avgPoolBackward(n, h, w, c, kh, kw, sh, sw, ph, pw, oh, ow, countIncludePad, x|dy, y|dx)
  avgPoolForward: perImage(0, (a) => [[13, image(a)], [14, a[10] * a[11] * a[3] * 4]], (a) => a[0] * a[10] * a[11] * a[3]),
  avgPoolBackward: perImage(0, (a) => [[13, a[10] * a[11] * a[3] * 4], [14, image(a)]], (a) => a[0] * image(a) / 4),
  // globalAvgPoolForward(n, hw, c, x, y), globalAvgPoolBackward(n, hw, c, dy, dx), mulChannels(n, hw, c, x, s, y)
  globalAvgPoolForward: perImage(0, (a) => [[3, a[1] * a[2] * 4], [4, a[2] * 4]], (a) => a[0] * a[1] * a[2]),
  globalAvgPoolBackward: perImage(0, (a) => [[3, a[2] * 4], [4, a[1] * a[2] * 4]], (a) => a[0] * a[1] * a[2]),
  mulChannels: perImage(0, (a) => [[3, a[1] * a[2] * 4], [4, a[2] * 4], [5, a[1] * a[2] * 4]], (a) => a[0] * a[1] * a[2]),
};
