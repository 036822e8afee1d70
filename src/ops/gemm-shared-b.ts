// Large products on several threads with op(B) packed once.
//
// gemm() packs every kc×nc block of op(B) before multiplying by it. Split by rows across
// threads (plans.ts), every thread packs all of op(B) again: for A·B at 1024³ that is ~1.1 ms
// of a ~44 ms one-thread product, so on 2 threads each pays it in full next to its 22 ms half.
// Here the caller runs gemm()'s loop over (jc, pc) blocks itself, and each block is two jobs:
// the block's 8-column panels packed into one buffer with the panels split between threads
// (gemmPackBRange), then the rows split between threads, each packing its own A blocks and
// reading the shared panels (gemmPackedB). Blocks, packing layout, micro-kernels and β/bias
// handling are gemm()'s (assembly/gemm/driver.ts), so the bits are those of one gemm() call,
// whatever the thread count. The buffer is the packed-B area of thread 0's workspace: thread
// 0's own packing of A stays in front of it.
//
// Used when the plan would split by rows (m ≥ n) and packing B is a noticeable share of the
// work: m ≥ 256 rows and a product of at least 2^24 multiply-adds (4 jobs of ~2–5 µs each per
// block are nothing next to that). Smaller or column-split products go through gemm().

import type { Engine } from '../engine/engine.js';

const MIN_ROWS = 256;
const MIN_WORK = 1 << 24;

/** Runs C = α·op(A)·op(B) + β·C (+ bias) as gemm() would, with B packed once; false when not used. */
export function gemmSharedB(engine: Engine, tile: number, transA: number, transB: number, m: number, n: number, k: number,
                            alpha: number, a: number, lda: number, b: number, ldb: number,
                            beta: number, c: number, ldc: number, bias: number, work: number): boolean {
  if (engine.threads <= 1 || m < MIN_ROWS || m < n || k < 16 || alpha === 0 || m * n * k < MIN_WORK) return false;
  const K = engine.kernels;
  const kcb = K.gemmKBlock(k), ncb = K.gemmNBlock(n, kcb);
  const pb = work + K.gemmPackBOffset();
  for (let jc = 0; jc < n; jc += ncb) {
    const nc = Math.min(ncb, n - jc);
    for (let pc = 0; pc < k; pc += kcb) {
      const kc = Math.min(kcb, k - pc);
      K.gemmPackBRange(transB, b, ldb, pc, kc, jc, 0, nc, pb);
      K.gemmPackedB(tile, transA, m, nc, kc, alpha, a, lda, pc, pb, pc === 0 ? beta : 1,
        c + jc * 4, ldc, pc === 0 && bias !== 0 ? bias + jc * 4 : 0, work);
    }
  }
  return true;
}
