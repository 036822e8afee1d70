// GEMM packing (assembly/gemm/pack.ts), checked element by element.
//
//   packB: panel t (columns 8t..8t+7 of the block) at dst + t·kc·8 floats; inside it, k step p
//          holds op(B)[pc+p][jc+8t+jj] for jj = 0..7, zero past the block's nc columns.
//   packA: panel t (rows mr·t..) at dst + t·kc·mr floats; k step p holds op(A)[ic+mr·t+ii][pc+p]
//          for ii = 0..mr-1, zero past the block's mc rows.
// The destination is pre-filled with NaN (every slot of every panel must be written) and followed
// by a sentinel guard (nothing written past the last panel). Source values encode their stored
// position (row·1000 + column + 1), so none is 0 and a misplaced value is recognisable.
import { packA, packB } from "../../assembly/index";

const GUARD: i32 = 16;
const SENTINEL: f32 = 7777.25;

let failure: string = "";
let checked: i32 = 0;
function fail(msg: string): void {
  if (failure.length == 0) failure = msg;
}
function reset(): void {
  failure = "";
  checked = 0;
}
@inline function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
@inline function st(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}
function sameBits(a: f32, b: f32): bool {
  return reinterpret<u32>(a) == reinterpret<u32>(b);
}
function allocF32(n: i32): usize {
  return heap.alloc(<usize>max(n, 1) << 2);
}

/** A stored rows×cols matrix with leading dimension cols + 1 (the extra column is NaN). */
function makeSource(rows: i32, cols: i32): usize {
  const ldm = cols + 1;
  const p = allocF32(rows * ldm);
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < ldm; q++) st(p, r * ldm + q, q < cols ? <f32>(r * 1000 + q + 1) : <f32>NaN);
  }
  return p;
}

function checkDst(dst: usize, idx: i32, want: f32, what: string): void {
  const got = ld(dst, idx);
  checked++;
  if (!sameBits(got, want)) {
    fail(what + ": packed[" + idx.toString() + "] = " + got.toString() + ", want " + want.toString());
  }
}

function checkGuard(dst: usize, total: i32, what: string): void {
  for (let g = 0; g < GUARD; g++) {
    if (!sameBits(ld(dst, total + g), SENTINEL)) {
      fail(what + ": write past the packed block (guard float " + g.toString() + ")");
      return;
    }
  }
}

function allocDst(total: i32): usize {
  const dst = allocF32(total + GUARD);
  for (let i = 0; i < total; i++) st(dst, i, NaN);
  for (let g = 0; g < GUARD; g++) st(dst, total + g, SENTINEL);
  return dst;
}

/** op(B) is K×N with K = pc + kc + 2, N = jc + nc + 3; pack the kc×nc block at (pc, jc). */
function caseB(transB: i32, kc: i32, nc: i32, pc: i32, jc: i32): void {
  const what = "packB transB=" + transB.toString() + " kc=" + kc.toString() + " nc=" + nc.toString() +
    " pc=" + pc.toString() + " jc=" + jc.toString();
  const K = pc + kc + 2;
  const N = jc + nc + 3;
  const rows = transB == 0 ? K : N;
  const cols = transB == 0 ? N : K;
  const ldb = cols + 1;
  const b = makeSource(rows, cols);
  const panels = (nc + 7) / 8;
  const total = panels * 8 * kc;
  const dst = allocDst(total);

  packB(transB, b, ldb, pc, kc, jc, nc, dst);

  for (let t = 0; t < panels; t++) {
    for (let p = 0; p < kc; p++) {
      for (let jj = 0; jj < 8; jj++) {
        const j = t * 8 + jj; // column within the block
        let want: f32 = 0;
        if (j < nc) {
          const kk = pc + p, col = jc + j; // element (kk, col) of op(B)
          want = transB == 0 ? ld(b, kk * ldb + col) : ld(b, col * ldb + kk);
        }
        checkDst(dst, t * kc * 8 + p * 8 + jj, want, what);
      }
    }
  }
  checkGuard(dst, total, what);
  heap.free(b);
  heap.free(dst);
}

/** op(A) is M×K with M = ic + mc + 3, K = pc + kc + 2; pack the mc×kc block at (ic, pc). */
function caseA(mr: i32, transA: i32, mc: i32, kc: i32, ic: i32, pc: i32): void {
  const what = "packA mr=" + mr.toString() + " transA=" + transA.toString() + " mc=" + mc.toString() +
    " kc=" + kc.toString() + " ic=" + ic.toString() + " pc=" + pc.toString();
  const M = ic + mc + 3;
  const K = pc + kc + 2;
  const rows = transA == 0 ? M : K;
  const cols = transA == 0 ? K : M;
  const lda = cols + 1;
  const a = makeSource(rows, cols);
  const panels = (mc + mr - 1) / mr;
  const total = panels * mr * kc;
  const dst = allocDst(total);

  packA(mr, transA, a, lda, ic, mc, pc, kc, dst);

  for (let t = 0; t < panels; t++) {
    for (let p = 0; p < kc; p++) {
      for (let ii = 0; ii < mr; ii++) {
        const i = t * mr + ii; // row within the block
        let want: f32 = 0;
        if (i < mc) {
          const row = ic + i, kk = pc + p; // element (row, kk) of op(A)
          want = transA == 0 ? ld(a, row * lda + kk) : ld(a, kk * lda + row);
        }
        checkDst(dst, t * kc * mr + p * mr + ii, want, what);
      }
    }
  }
  checkGuard(dst, total, what);
  heap.free(a);
  heap.free(dst);
}

// (kc, nc, pc, jc) for packB: partial panel only, full + partial, full panels only, k tails
const B_CASES: StaticArray<i32> = [
  5, 13, 0, 0,
  5, 13, 2, 3,
  3, 5, 0, 0,
  9, 16, 1, 5,
  8, 24, 0, 0,
  4, 8, 3, 1,
  1, 1, 0, 0,
  7, 21, 4, 2,
];
// (mc, kc, ic, pc) for packA
const A_CASES: StaticArray<i32> = [
  7, 5, 0, 0,
  7, 5, 2, 3,
  12, 9, 1, 2,
  13, 4, 0, 0,
  3, 2, 0, 0,
  6, 8, 0, 0,
  24, 12, 5, 1,
  1, 1, 0, 0,
  19, 7, 2, 6,
];

function suiteB(transB: i32): void {
  reset();
  for (let c = 0; c < B_CASES.length; c += 4) caseB(transB, B_CASES[c], B_CASES[c + 1], B_CASES[c + 2], B_CASES[c + 3]);
}
function suiteA(mr: i32, transA: i32): void {
  reset();
  for (let c = 0; c < A_CASES.length; c += 4) caseA(mr, transA, A_CASES[c], A_CASES[c + 1], A_CASES[c + 2], A_CASES[c + 3]);
}

describe("packB", () => {
  it("transB = 0 (B stored k×n)", () => {
    suiteB(0);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("transB = 1 (B stored n×k)", () => {
    suiteB(1);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
});

describe("packA", () => {
  it("mr = 4, transA = 0 (A stored m×k)", () => {
    suiteA(4, 0);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("mr = 4, transA = 1 (A stored k×m)", () => {
    suiteA(4, 1);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("mr = 6, transA = 0 (A stored m×k)", () => {
    suiteA(6, 0);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("mr = 6, transA = 1 (A stored k×m)", () => {
    suiteA(6, 1);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
});
