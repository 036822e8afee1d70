// Blocked single-precision GEMM, row-major:  C = α·op(A)·op(B) + β·C (+ bias per column)
//   op(A) is m×k (A, or Aᵀ of a stored k×m matrix), op(B) is k×n (B, or Bᵀ of a stored n×k).
//
// Blocking follows Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"
// (ACM TOMS 2008) and BLIS:
//   for jc in steps of NC:           a kc×nc block of op(B) is packed once (lives in L2/L3)
//     for pc in steps of KC:
//       for ic in steps of MC:       an mc×kc block of op(A) is packed (lives in L2)
//         macro-kernel over MR×8 tiles
// Block sizes, per call:
//   kc: k in one block up to KC = 800 floats (the MNIST layers' k = 784 and 500 are one block),
//       larger k in balanced blocks (k = 1024: 2 × 512). Every k block ends with a write-back of
//       the C tile (and, after the first, a read of it), so fewer, longer blocks amortize it:
//       1000×784×500 ran ~12–18% faster with one block of 784 than with 4 of 196 (measured).
//   mc: at most MC = 144 rows and at most A_BUDGET/kc, so the packed A block stays ≤ 256 KB,
//       half of this machine's 512 KB L2 (k = 784: 80 rows with the 5×8 tile).
//   nc: at most NC = 2048 columns and at most B_BUDGET/kc (packed B block ≤ 2 MB, in L3).
//   Each is balanced, then rounded up to the tile size (k = 1700 in 3 blocks of 567 rather than
//   2 × 800 + 100; m = 1000 with a cap of 80 and 5-row tiles: 13 blocks of 77 → rounded up to
//   80, so 12 × 80 + 40). The first k block applies the caller's β and the bias; later k blocks
//   accumulate with β = 1 and no bias.
//
// Workspace (passed by the caller, so each thread can own one):
//   [0, 256)                        scratch tile for edge write-back (6×8 floats)
//   [256, 256 + packABytes)         packed A block: ≤ min(MC·KC, A_BUDGET) + 6·KC floats
//   [.., + packBBytes)              packed B block: ≤ min(NC·KC, B_BUDGET) + NR·KC floats
//   [.., + 256 KB)                  LOWER_FLOATS for a convolution's lowering (not used by gemm)
// α = 0 or k = 0 leaves A and B unread: C = β·C (+ bias).

import { packA, packB, NR } from "./pack";
import { macro4x8, macro5x8, macro6x8, macro4x8Direct, macro5x8Direct, macro6x8Direct, macroNarrowDirect } from "./microkernel";

let MC: i32 = 144; // cap on rows per A block (rounded up to the tile height: the workspace has 6 rows to spare)
let KC: i32 = 800;
let NC: i32 = 2048;
let A_BUDGET: i32 = 65536;  // floats of a packed A block (256 KB)
let B_BUDGET: i32 = 524288; // floats of a packed B block (2 MB)

const TILE_BYTES: usize = 256;
/** k blocks this short are computed row tile by row tile (see gemm()). */
const SHORT_K: i32 = 32;

/**
 * Caps of the block sizes (mc rows, kc, nc columns) and the float budgets of the packed A and B
 * blocks. Call before the workspace is allocated: gemmWorkspaceBytes() depends on them.
 */
export function gemmSetBlocking(mc: i32, kc: i32, nc: i32, aBudget: i32, bBudget: i32): void {
  MC = mc; KC = kc; NC = nc; A_BUDGET = aBudget; B_BUDGET = bBudget;
}

export function gemmWorkspaceBytes(): usize {
  return gemmLoweringOffset() + (<usize>LOWER_FLOATS << 2);
}

/**
 * Floats of scratch after the packing buffers, for a convolution's lowering of a few images
 * (assembly/nn/conv-fused.ts): each thread's workspace carries its own.
 */
export const LOWER_FLOATS: i32 = 65536;

/** Byte offset of that scratch in a workspace. */
export function gemmLoweringOffset(): usize {
  const packAFloats = <usize>min(MC * KC, A_BUDGET) + <usize>6 * KC;
  const packBFloats = <usize>min(NC * KC, B_BUDGET) + <usize>NR * KC;
  return TILE_BYTES + (packAFloats << 2) + (packBFloats << 2);
}

@inline function ceilDiv(a: i32, b: i32): i32 {
  return (a + b - 1) / b;
}

/** Block size for a dimension of length len: at most cap (rounded up to unit), blocks balanced. */
@inline function balanced(len: i32, cap: i32, unit: i32): i32 {
  const blocks = ceilDiv(len, cap);
  return ceilDiv(ceilDiv(len, blocks), unit) * unit;
}

/** A cap of at most limit and at most budget/kc, rounded down to a multiple of unit (≥ unit). */
@inline function budgetCap(limit: i32, budget: i32, kc: i32, unit: i32): i32 {
  const byBudget = max(budget / kc / unit * unit, unit);
  return min(limit, byBudget);
}

/** C = β·C (+ bias): the whole product when α = 0 or k = 0. */
function scaleC(m: i32, n: i32, beta: f32, c: usize, ldc: i32, bias: usize): void {
  for (let i = 0; i < m; i++) {
    const row = c + ((<usize>i * ldc) << 2);
    for (let j = 0; j < n; j++) {
      const q = row + (<usize>j << 2);
      let v: f32 = beta != 0 ? beta * load<f32>(q) : 0;
      if (bias != 0) v = v + load<f32>(bias + (<usize>j << 2));
      store<f32>(q, v);
    }
  }
}

/**
 * tile: 4 (4×8 micro-kernel), 5 (5×8) or 6 (6×8). bias: pointer to n floats added to every row, or 0.
 * Sizes and leading dimensions are validated by the caller (src/ops/gemm.ts).
 */
export function gemm(tile: i32, transA: i32, transB: i32, m: i32, n: i32, k: i32,
                     alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
                     beta: f32, c: usize, ldc: i32, bias: usize, work: usize): void {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0) {
    scaleC(m, n, beta, c, ldc, bias);
    return;
  }
  const mr = tile == 6 ? 6 : tile == 5 ? 5 : 4;
  const tileBuf = work;
  const pa = work + TILE_BYTES;
  const pb = pa + ((<usize>min(MC * KC, A_BUDGET) + <usize>6 * KC) << 2);
  const kcb = balanced(k, KC, 1);
  const ncb = balanced(n, budgetCap(NC, B_BUDGET, kcb, NR), NR);
  const mcb = balanced(m, budgetCap(MC, A_BUDGET, kcb, mr), mr);
  for (let jc = 0; jc < n; jc += ncb) {
    const nc = min(ncb, n - jc);
    for (let pc = 0; pc < k; pc += kcb) {
      const kc = min(kcb, k - pc);
      packB(transB, b, ldb, pc, kc, jc, nc, pb);
      const betaBlock: f32 = pc == 0 ? beta : 1;
      const biasBlock: usize = pc == 0 && bias != 0 ? bias + (<usize>jc << 2) : 0;
      for (let ic = 0; ic < m; ic += mcb) {
        const mc = min(mcb, m - ic);
        packA(mr, transA, a, lda, ic, mc, pc, kc, pa);
        const cp = c + ((<usize>ic * ldc + jc) << 2);
        // A short k block writes C much faster than it reads A and B: the macro-kernel then runs
        // one row tile at a time, so C is written row tile by row tile across all its columns
        // instead of column panel by panel down all rows. Written down the rows, with the stores
        // striding by a row of C, a thread's half slowed the other thread's half next to it
        // (presumably a stride prefetcher running on past the last row of its chunk): the MNIST
        // step's 100×10·(300×10)ᵀ split by rows on 2 threads, the worker's 7 µs half took 12 µs
        // beside the caller's half, 8 µs with the halves 64 KB apart, 8.3 µs in this order.
        // Every element's arithmetic is unchanged (same bits).
        const rowStep = kc <= SHORT_K ? mr : mc;
        for (let ir = 0; ir < mc; ir += rowStep) {
          const rows = min(rowStep, mc - ir);
          const pai = pa + ((<usize>ir * kc) << 2), cpi = cp + ((<usize>ir * ldc) << 2);
          if (mr == 5) {
            macro5x8(rows, nc, kc, pai, pb, cpi, ldc, alpha, betaBlock, biasBlock, tileBuf);
          } else if (mr == 6) {
            macro6x8(rows, nc, kc, pai, pb, cpi, ldc, alpha, betaBlock, biasBlock, tileBuf);
          } else {
            macro4x8(rows, nc, kc, pai, pb, cpi, ldc, alpha, betaBlock, biasBlock, tileBuf);
          }
        }
      }
    }
  }
}

/**
 * C = A·B (+ bias) with B read in place (row-major k×n, ldb floats per row): no packing of B,
 * so the per-call cost that packing a model's weights adds (~80 µs for the MNIST MLP, 10% of a
 * batch-32 forward pass) is gone, and nothing has to be re-packed when the weights change.
 * The micro-kernel then loads each k step's 8 values of B from a different row (two cache lines
 * per step instead of one contiguous panel); the 8-column strip of a k block is ≤ 800 lines,
 * read from L2 by every row tile after the first. The last n mod 8 columns, when 1–4, are read
 * in place by the narrow loop with loads of exactly those floats (microkernel.ts), and when 5–7
 * (or with the 6-row tile) packed as one partial panel, so no load runs past a row of B.
 * Blocking, k blocks, A packing and write-back are those of gemm() with α = 1 and β = 0: the
 * bits are gemm()'s.
 */
export function gemmDirectB(tile: i32, m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32,
                            c: usize, ldc: i32, bias: usize, work: usize): void {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    scaleC(m, n, 0, c, ldc, bias);
    return;
  }
  const mr = tile == 6 ? 6 : tile == 5 ? 5 : 4;
  const tileBuf = work;
  const pa = work + TILE_BYTES;
  const pb = pa + ((<usize>min(MC * KC, A_BUDGET) + <usize>6 * KC) << 2);
  const kcb = balanced(k, KC, 1);
  const mcb = balanced(m, budgetCap(MC, A_BUDGET, kcb, mr), mr);
  const nFull = n & ~(NR - 1);
  const ldbb = <usize>ldb << 2;
  for (let pc = 0; pc < k; pc += kcb) {
    const kc = min(kcb, k - pc);
    const betaBlock: f32 = pc == 0 ? 0 : 1;
    const biasBlock: usize = pc == 0 ? bias : 0;
    const bBlock = b + <usize>pc * ldbb;
    // a tail of 1–4 columns is read in place by the narrow loop; 5–7 are packed (one panel)
    const narrowTail = n - nFull <= 4 && mr != 6;
    if (nFull < n && !narrowTail) packB(0, b, ldb, pc, kc, nFull, n - nFull, pb);
    const cTail = <usize>nFull << 2;
    const biasTail: usize = biasBlock != 0 ? biasBlock + cTail : 0;
    for (let ic = 0; ic < m; ic += mcb) {
      const mc = min(mcb, m - ic);
      packA(mr, 0, a, lda, ic, mc, pc, kc, pa);
      const cp = c + ((<usize>ic * ldc) << 2);
      if (nFull < n && narrowTail) macroNarrowDirect(mr, mc, n - nFull, kc, pa, bBlock + cTail, ldbb, cp + cTail, ldc, betaBlock, biasTail, tileBuf);
      if (mr == 5) {
        if (nFull > 0) macro5x8Direct(mc, nFull, kc, pa, bBlock, ldbb, cp, ldc, 1, betaBlock, biasBlock, tileBuf);
        if (nFull < n && !narrowTail) macro5x8(mc, n - nFull, kc, pa, pb, cp + cTail, ldc, 1, betaBlock, biasTail, tileBuf);
      } else if (mr == 6) {
        if (nFull > 0) macro6x8Direct(mc, nFull, kc, pa, bBlock, ldbb, cp, ldc, 1, betaBlock, biasBlock, tileBuf);
        if (nFull < n && !narrowTail) macro6x8(mc, n - nFull, kc, pa, pb, cp + cTail, ldc, 1, betaBlock, biasTail, tileBuf);
      } else {
        if (nFull > 0) macro4x8Direct(mc, nFull, kc, pa, bBlock, ldbb, cp, ldc, 1, betaBlock, biasBlock, tileBuf);
        if (nFull < n && !narrowTail) macro4x8(mc, n - nFull, kc, pa, pb, cp + cTail, ldc, 1, betaBlock, biasTail, tileBuf);
      }
    }
  }
}
