// Packing for the blocked GEMM.
//
// The micro-kernel (microkernel.ts) reads A and B as contiguous "micro-panels":
//   packed A: for each block of MR rows, kc steps of MR values   (A[i0..i0+MR)[p], p = 0..kc)
//   packed B: for each block of NR = 8 columns, kc steps of 8 values (B[p][j0..j0+8))
// so that its inner loop is two 16-byte loads of B and MR broadcasts of A per k step, with
// unit stride. Packing is O(mk + kn) work against O(mnk) for the product, but for the small
// batches of training (m = 100) and weights that change every step it is not free: the
// strided cases (A not transposed, B transposed) gather through 4×4 register transposes
// instead of scalar loads. The transposes of A·Bᵀ and Aᵀ·B are absorbed here: the micro-kernel
// never knows which form it computes. Rows and columns past the matrix edge are packed as
// zeros, so the micro-kernel always runs a full tile and only the write-back clips.

export const NR: i32 = 8;

/** Transpose four rows of four floats, storing row q of the result at dst + q·stride. */
@inline function transpose4Store(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/** Panels packB fills in one pass down the rows of a row-major B (fewer than L1's 12 ways). */
const PANELS_AT_ONCE: i32 = 8;

/**
 * Pack the kc×nc block of op(B) starting at (pc, jc) into 8-column panels at dst.
 * transB = 0: B is k×n, element (p, j) at b[p·ldb + j]; transB = 1: B is stored n×k.
 */
export function packB(transB: i32, b: usize, ldb: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  const ld = <usize>ldb << 2;
  const panelBytes = <usize>kc * NR * 4;
  const full = nc & ~(NR - 1);
  if (transB == 0) {
    // walk B row by row (sequential reads, one 32-byte piece to each panel): reading each
    // panel's column strip down all kc rows instead touches a new cache line and often a new
    // page per row, which costs ~10% of an m = 100 product. Eight panels at a time: the panels
    // lie kc·32 bytes apart, often a multiple of 4 KB, so every panel's current line falls in
    // the same L1 set; writing all of a row's panels at once (128 at n = 1024) evicted each
    // line before the next row filled its other half (packing a 1024×1024 B took 0.95 ms,
    // 4.4 GB/s; A, packed row-wise, 0.13 ms)
    for (let jb = 0; jb < full; jb += PANELS_AT_ONCE * NR) {
      const jEnd = min(full, jb + PANELS_AT_ONCE * NR);
      for (let p = 0; p < kc; p++) {
        const src = b + ((<usize>(pc + p) * ldb + jc) << 2);
        let o = dst + <usize>(jb / NR) * panelBytes + (<usize>p << 5);
        for (let jj = jb; jj < jEnd; jj += NR) {
          const s = src + (<usize>jj << 2);
          v128.store(o, v128.load(s));
          v128.store(o, v128.load(s, 16), 16);
          o += panelBytes;
        }
      }
    }
  }
  let j = 0;
  for (; j + NR <= nc; j += NR) {
    const out = dst + <usize>(j / NR) * panelBytes;
    if (transB == 1) {
      // rows jc+j .. jc+j+7 of the stored n×k matrix, read 4 floats along k at a time
      const s0 = b + ((<usize>(jc + j) * ldb + pc) << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = s0 + (<usize>p << 2);
        const o = out + (<usize>p << 5);
        transpose4Store(v128.load(s), v128.load(s + ld), v128.load(s + 2 * ld), v128.load(s + 3 * ld), o, 32);
        const s4 = s + 4 * ld;
        transpose4Store(v128.load(s4), v128.load(s4 + ld), v128.load(s4 + 2 * ld), v128.load(s4 + 3 * ld), o + 16, 32);
      }
      for (; p < kc; p++) {
        const o = out + (<usize>p << 5);
        for (let jj = 0; jj < NR; jj++) {
          store<f32>(o + (<usize>jj << 2), load<f32>(s0 + <usize>jj * ld + (<usize>p << 2)));
        }
      }
    }
  }
  if (j < nc) {
    // partial last panel, zero-padded to NR columns: each k step's 8 floats are zeroed with two
    // vector stores, then the w < 8 real ones copied (a branch per padded float made this panel
    // cost ~1.5 µs at k = 300, as much as the product of a 50×10 output: a tenth of an m = 100,
    // n = 10 product, paid again by every thread that packs B)
    const out = dst + <usize>(j / NR) * panelBytes;
    const w = nc - j;
    const zero = f32x4.splat(0);
    if (transB == 0) {
      let src = b + ((<usize>pc * ldb + jc + j) << 2);
      for (let p = 0; p < kc; p++) {
        const o = out + (<usize>p << 5);
        v128.store(o, zero);
        v128.store(o, zero, 16);
        for (let jj = 0; jj < w; jj++) store<f32>(o + (<usize>jj << 2), load<f32>(src + (<usize>jj << 2)));
        src += ld;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const o = out + (<usize>p << 5);
        v128.store(o, zero);
        v128.store(o, zero, 16);
      }
      // column jj of the panel is row jc + j + jj of the stored n×k matrix: contiguous along k
      for (let jj = 0; jj < w; jj++) {
        const src = b + ((<usize>(jc + j + jj) * ldb + pc) << 2);
        for (let p = 0; p < kc; p++) store<f32>(out + (<usize>p << 5) + (<usize>jj << 2), load<f32>(src + (<usize>p << 2)));
      }
    }
  }
}

/**
 * Pack the mc×kc block of op(A) starting at (ic, pc) into MR-row panels at dst (MR = 4, 5 or 6).
 * transA = 0: A is m×k, element (i, p) at a[i·lda + p]; transA = 1: A is stored k×m.
 */
export function packA(mr: i32, transA: i32, a: usize, lda: i32, ic: i32, mc: i32, pc: i32, kc: i32, dst: usize): void {
  const ld = <usize>lda << 2;
  const panelBytes = <usize>kc * mr * 4;
  const step = <usize>mr << 2; // bytes per k step in a panel
  let i = 0;
  for (; i + mr <= mc; i += mr) {
    const out = dst + <usize>(i / mr) * panelBytes;
    if (transA == 1) {
      // column i..i+mr of op(A) is contiguous in each stored row p
      let src = a + ((<usize>pc * lda + ic + i) << 2);
      if (mr == 4) {
        for (let p = 0; p < kc; p++) {
          v128.store(out + (<usize>p << 4), v128.load(src));
          src += ld;
        }
      } else if (mr == 5) {
        for (let p = 0; p < kc; p++) {
          const o = out + <usize>p * 20;
          v128.store(o, v128.load(src));
          store<f32>(o, load<f32>(src, 16), 16);
          src += ld;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const o = out + <usize>p * 24;
          v128.store(o, v128.load(src));
          store<u64>(o, load<u64>(src, 16), 16);
          src += ld;
        }
      }
    } else {
      const s0 = a + ((<usize>(ic + i) * lda + pc) << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = s0 + (<usize>p << 2);
        const o = out + <usize>p * step;
        transpose4Store(v128.load(s), v128.load(s + ld), v128.load(s + 2 * ld), v128.load(s + 3 * ld), o, step);
        if (mr == 5) {
          const r4 = v128.load(s + 4 * ld);
          v128.store32_lane(o, r4, 0, 16);
          v128.store32_lane(o + step, r4, 1, 16);
          v128.store32_lane(o + 2 * step, r4, 2, 16);
          v128.store32_lane(o + 3 * step, r4, 3, 16);
        } else if (mr == 6) {
          const r4 = v128.load(s + 4 * ld);
          const r5 = v128.load(s + 5 * ld);
          const lo = v128.shuffle<f32>(r4, r5, 0, 4, 1, 5);
          const hi = v128.shuffle<f32>(r4, r5, 2, 6, 3, 7);
          v128.store64_lane(o, lo, 0, 16);
          v128.store64_lane(o + step, lo, 1, 16);
          v128.store64_lane(o + 2 * step, hi, 0, 16);
          v128.store64_lane(o + 3 * step, hi, 1, 16);
        }
      }
      for (; p < kc; p++) {
        const o = out + <usize>p * step;
        for (let ii = 0; ii < mr; ii++) {
          store<f32>(o + (<usize>ii << 2), load<f32>(s0 + <usize>ii * ld + (<usize>p << 2)));
        }
      }
    }
  }
  if (i < mc) {
    // partial last panel (h < mr rows), zero-padded: zero it with vector stores, then copy the
    // h real rows (no branch per padded float; see the partial panel of packB)
    const out = dst + <usize>(i / mr) * panelBytes;
    const h = mc - i;
    const zero = f32x4.splat(0);
    let z: usize = 0;
    for (; z + 16 <= panelBytes; z += 16) v128.store(out + z, zero);
    for (; z < panelBytes; z += 4) store<f32>(out + z, 0);
    if (transA == 0) {
      for (let ii = 0; ii < h; ii++) {
        const src = a + ((<usize>(ic + i + ii) * lda + pc) << 2);
        for (let p = 0; p < kc; p++) store<f32>(out + <usize>p * step + (<usize>ii << 2), load<f32>(src + (<usize>p << 2)));
      }
    } else {
      let src = a + ((<usize>pc * lda + ic + i) << 2);
      for (let p = 0; p < kc; p++) {
        const o = out + <usize>p * step;
        for (let ii = 0; ii < h; ii++) store<f32>(o + (<usize>ii << 2), load<f32>(src + (<usize>ii << 2)));
        src += ld;
      }
    }
  }
}
