// GEMM driver (assembly/gemm/driver.ts) against a naive f64-accumulated triple loop.
//
// Every case: C = α·op(A)·op(B) + β·C (+ bias[j]), row-major, with
//   - leading dimensions equal to the row length (pad 0) or 3 floats longer (pad 3);
//   - the padding of A and B filled with NaN (it must never reach a result);
//   - the padding of C and a guard after every buffer (A, B, C, bias, workspace) filled with a
//     sentinel that must be bit-identical afterwards (no write outside the m×n block);
//   - C filled with NaN when β = 0 (β = 0 must not read C: every result must be finite).
// Tolerance per element: (k + 3)·2⁻²³·(|α|·Σ|a||b| + |β||c| + |bias|) + 1e-30.
import { gemm, gemmWorkspaceBytes, gemmSetBlocking } from "../../assembly/index";

const GUARD: i32 = 16; // floats after each buffer
const SENTINEL: f32 = 7777.25;
const DEFAULT_MC: i32 = 144;
const DEFAULT_KC: i32 = 800;
const DEFAULT_A_BUDGET: i32 = 65536;
const DEFAULT_B_BUDGET: i32 = 524288;
const DEFAULT_NC: i32 = 2048;

// ---- deterministic pseudo-random numbers (xorshift32), values in [-1, 1) ----
let rngState: u32 = 0x9e3779b9;
function seed(s: u32): void {
  rngState = s;
}
function rnd(): f32 {
  let x = rngState;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rngState = x;
  return <f32>(x >> 8) * <f32>(1.0 / 8388608.0) - 1; // 24-bit grid, exact in f32
}

// ---- memory helpers (byte pointers, f32 elements) ----
function allocF32(n: i32): usize {
  return heap.alloc(<usize>max(n, 1) << 2);
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

// ---- failure bookkeeping: the first failing element, described; the number of elements checked ----
let failure: string = "";
let checked: i32 = 0;
function fail(msg: string): void {
  if (failure.length == 0) failure = msg;
}
function reset(): void {
  failure = "";
  checked = 0;
}

/** Workspace of gemmWorkspaceBytes() plus a guard, allocated for the current blocking. */
function allocWork(): usize {
  const bytes = gemmWorkspaceBytes();
  const w = heap.alloc(bytes + (<usize>GUARD << 2));
  for (let g = 0; g < GUARD; g++) store<f32>(w + bytes + (<usize>g << 2), SENTINEL);
  return w;
}
function checkWorkGuard(w: usize, what: string): void {
  const bytes = gemmWorkspaceBytes();
  for (let g = 0; g < GUARD; g++) {
    if (!sameBits(load<f32>(w + bytes + (<usize>g << 2)), SENTINEL)) {
      fail(what + ": write past the end of the workspace (guard float " + g.toString() + ")");
      return;
    }
  }
}

function checkGuard(p: usize, len: i32, name: string, what: string): void {
  for (let g = 0; g < GUARD; g++) {
    if (!sameBits(ld(p, len + g), SENTINEL)) {
      fail(what + ": write past the end of " + name + " (guard float " + g.toString() + ")");
      return;
    }
  }
}

/**
 * One GEMM case. nanAB: fill A and B entirely with NaN (only meaningful when α = 0 or k = 0,
 * where they must not be read). Returns nothing; records the first failure in `failure`.
 */
function runCase(tile: i32, transA: i32, transB: i32, m: i32, n: i32, k: i32,
                 alpha: f32, beta: f32, withBias: bool, pad: i32, nanAB: bool, work: usize): void {
  const what = "tile=" + tile.toString() + " transA=" + transA.toString() + " transB=" + transB.toString() +
    " m=" + m.toString() + " n=" + n.toString() + " k=" + k.toString() +
    " alpha=" + alpha.toString() + " beta=" + beta.toString() +
    " bias=" + (withBias ? "yes" : "no") + " pad=" + pad.toString() + (nanAB ? " A,B=NaN" : "");

  // stored shapes: A is m×k (transA = 0) or k×m; B is k×n (transB = 0) or n×k
  const aRows = transA == 0 ? m : k;
  const aCols = transA == 0 ? k : m;
  const bRows = transB == 0 ? k : n;
  const bCols = transB == 0 ? n : k;
  const lda = aCols + pad;
  const ldb = bCols + pad;
  const ldc = n + pad;
  const aLen = aRows * lda;
  const bLen = bRows * ldb;
  const cLen = m * ldc;

  const a = allocF32(aLen + GUARD);
  const b = allocF32(bLen + GUARD);
  const c = allocF32(cLen + GUARD);
  const bias = allocF32(n + GUARD);

  for (let r = 0; r < aRows; r++) {
    for (let q = 0; q < lda; q++) st(a, r * lda + q, q < aCols && !nanAB ? rnd() : NaN);
  }
  for (let r = 0; r < bRows; r++) {
    for (let q = 0; q < ldb; q++) st(b, r * ldb + q, q < bCols && !nanAB ? rnd() : NaN);
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) st(c, i * ldc + j, j < n ? (beta == 0 ? <f32>NaN : rnd()) : SENTINEL);
  }
  for (let j = 0; j < n; j++) st(bias, j, rnd());
  for (let g = 0; g < GUARD; g++) {
    st(a, aLen + g, SENTINEL);
    st(b, bLen + g, SENTINEL);
    st(c, cLen + g, SENTINEL);
    st(bias, n + g, SENTINEL);
  }

  // naive reference (f64 accumulation) and error bound, before the call overwrites C
  const ref = new StaticArray<f64>(max(m * n, 1));
  const tol = new StaticArray<f64>(max(m * n, 1));
  const absAlpha = Math.abs(<f64>alpha);
  const absBeta = Math.abs(<f64>beta);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s: f64 = 0;
      let sa: f64 = 0;
      if (alpha != 0) {
        for (let p = 0; p < k; p++) {
          const av = <f64>(transA == 0 ? ld(a, i * lda + p) : ld(a, p * lda + i));
          const bv = <f64>(transB == 0 ? ld(b, p * ldb + j) : ld(b, j * ldb + p));
          s += av * bv;
          sa += Math.abs(av * bv);
        }
      }
      let r: f64 = <f64>alpha * s;
      let mag: f64 = absAlpha * sa;
      if (beta != 0) {
        const cv = <f64>ld(c, i * ldc + j);
        r += <f64>beta * cv;
        mag += absBeta * Math.abs(cv);
      }
      if (withBias) {
        const bv = <f64>ld(bias, j);
        r += bv;
        mag += Math.abs(bv);
      }
      ref[i * n + j] = r;
      tol[i * n + j] = <f64>(k + 3) * 1.1920928955078125e-7 * mag + 1e-30;
    }
  }

  gemm(tile, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, withBias ? bias : 0, work);

  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const got = ld(c, i * ldc + j);
      if (j >= n) {
        if (!sameBits(got, SENTINEL)) {
          fail(what + ": C padding written at (" + i.toString() + "," + j.toString() + "): " + got.toString());
        }
        continue;
      }
      const want = ref[i * n + j];
      const t = tol[i * n + j];
      checked++;
      if (!isFinite(got) || Math.abs(<f64>got - want) > t) {
        fail(what + ": C(" + i.toString() + "," + j.toString() + ") = " + got.toString() +
          ", want " + want.toString() + " ± " + t.toString());
      }
    }
  }
  checkGuard(a, aLen, "A", what);
  checkGuard(b, bLen, "B", what);
  checkGuard(c, cLen, "C", what);
  checkGuard(bias, n, "bias", what);
  checkWorkGuard(work, what);

  heap.free(a);
  heap.free(b);
  heap.free(c);
  heap.free(bias);
}

// shapes m×n×k from the spec: 1×1×1, 3×7×17, 7×3×1, 17×9×5, 13×11×300 (k > KC = 256: two k blocks)
const SHAPES: StaticArray<i32> = [1, 1, 1, 3, 7, 17, 7, 3, 1, 17, 9, 5, 13, 11, 300];
// (α, β) pairs
const ALPHA_BETA: StaticArray<f32> = [1, 0, -1.5, 0.75, 0, 2];

/** Every shape × (α, β) × bias on/off × pad 0/3 for one tile and one (transA, transB). */
function suite(tile: i32, transA: i32, transB: i32): void {
  reset();
  seed(0x1234567 + tile * 131 + transA * 17 + transB * 7);
  const work = allocWork();
  for (let s = 0; s < SHAPES.length; s += 3) {
    for (let ab = 0; ab < ALPHA_BETA.length; ab += 2) {
      for (let withBias = 0; withBias < 2; withBias++) {
        for (let pad = 0; pad <= 3; pad += 3) {
          runCase(tile, transA, transB, SHAPES[s], SHAPES[s + 1], SHAPES[s + 2],
            ALPHA_BETA[ab], ALPHA_BETA[ab + 1], withBias == 1, pad, false, work);
        }
      }
    }
  }
  heap.free(work);
}

describe("gemm: C = alpha·op(A)·op(B) + beta·C (+ bias) vs naive f64 loop", () => {
  it("tile 4, A·B", () => {
    suite(4, 0, 0);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 4, A·Bᵀ", () => {
    suite(4, 0, 1);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 4, Aᵀ·B", () => {
    suite(4, 1, 0);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 4, Aᵀ·Bᵀ", () => {
    suite(4, 1, 1);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 5, A·B", () => {
    suite(5, 0, 0);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 5, A·Bᵀ", () => {
    suite(5, 0, 1);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 5, Aᵀ·B", () => {
    suite(5, 1, 0);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 5, Aᵀ·Bᵀ", () => {
    suite(5, 1, 1);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 6, A·B", () => {
    suite(6, 0, 0);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 6, A·Bᵀ", () => {
    suite(6, 0, 1);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 6, Aᵀ·B", () => {
    suite(6, 1, 0);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("tile 6, Aᵀ·Bᵀ", () => {
    suite(6, 1, 1);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
});

describe("gemm: special cases", () => {
  it("beta = 0 does not read C (C filled with NaN, every result finite)", () => {
    reset();
    seed(42);
    const work = allocWork();
    for (let tile = 4; tile <= 6; tile++) {
      for (let tr = 0; tr < 4; tr++) {
        for (let s = 0; s < SHAPES.length; s += 3) {
          // runCase fills C with NaN whenever beta == 0 and fails on any non-finite result
          runCase(tile, tr >> 1, tr & 1, SHAPES[s], SHAPES[s + 1], SHAPES[s + 2], 1.25, 0, false, 0, false, work);
          runCase(tile, tr >> 1, tr & 1, SHAPES[s], SHAPES[s + 1], SHAPES[s + 2], -0.5, 0, true, 3, false, work);
        }
      }
    }
    heap.free(work);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("alpha = 0 does not read A or B (both NaN): C = beta·C (+ bias)", () => {
    reset();
    seed(43);
    const work = allocWork();
    for (let tile = 4; tile <= 6; tile += 2) {
      for (let tr = 0; tr < 4; tr++) {
        runCase(tile, tr >> 1, tr & 1, 17, 9, 5, 0, 2, true, 3, true, work);
        runCase(tile, tr >> 1, tr & 1, 3, 7, 17, 0, -0.75, false, 0, true, work);
        runCase(tile, tr >> 1, tr & 1, 3, 7, 17, 0, 0, true, 0, true, work); // C NaN too: C = bias
      }
    }
    heap.free(work);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("k = 0: C = beta·C (+ bias), A and B unread", () => {
    reset();
    seed(44);
    const work = allocWork();
    for (let tile = 4; tile <= 6; tile += 2) {
      runCase(tile, 0, 0, 5, 9, 0, 1, 0.5, true, 3, true, work);
      runCase(tile, 1, 1, 5, 9, 0, 1, 0, true, 0, true, work);
    }
    heap.free(work);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("m = 0 or n = 0 writes nothing", () => {
    reset();
    const work = allocWork();
    const c = allocF32(64);
    for (let i = 0; i < 64; i++) st(c, i, SENTINEL);
    gemm(4, 0, 0, 0, 8, 8, 1, c, 8, c, 8, 0, c, 8, 0, work);
    gemm(6, 0, 0, 8, 0, 8, 1, c, 8, c, 8, 0, c, 8, 0, work);
    let untouched = true;
    for (let i = 0; i < 64; i++) untouched = untouched && sameBits(ld(c, i), SENTINEL);
    heap.free(c);
    heap.free(work);
    expect<bool>(untouched).toBe(true, "C changed by an empty product");
  });

  it("small blocking (MC 12, KC 64, NC 16) runs the m, k and n block loops", () => {
    reset();
    seed(45);
    gemmSetBlocking(12, 64, 16, DEFAULT_A_BUDGET, DEFAULT_B_BUDGET);
    const work = allocWork();
    for (let tile = 4; tile <= 6; tile++) {
      for (let tr = 0; tr < 4; tr++) {
        runCase(tile, tr >> 1, tr & 1, 13, 11, 300, 1, 0, true, 0, false, work);
        runCase(tile, tr >> 1, tr & 1, 37, 35, 129, -1.5, 0.75, true, 3, false, work);
        runCase(tile, tr >> 1, tr & 1, 25, 50, 64, 0.5, 2, false, 1, false, work);
      }
    }
    heap.free(work);
    gemmSetBlocking(DEFAULT_MC, DEFAULT_KC, DEFAULT_NC, DEFAULT_A_BUDGET, DEFAULT_B_BUDGET);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("float budgets bind the block sizes (A budget 600, B budget 1000 floats) without overrunning the workspace", () => {
    reset();
    seed(46);
    // KC 100: k = 300 runs 3 blocks of 100, so mc = 600/100 = 6 rows (rounded down to the tile
    // height: 4, 5 or 6) and nc = 1000/100 = 10 → 8 columns; k = 64 gives mc = 9 → 8/5/6 and
    // nc = 15 → 8; the budget 600 with k = 129 → kc 65 gives 9 rows; an A budget below one tile
    // (k = 100, budget 600 → 6, with tile 6 exactly one tile) still makes progress.
    gemmSetBlocking(144, 100, 2048, 600, 1000);
    const work = allocWork();
    for (let tile = 4; tile <= 6; tile++) {
      for (let tr = 0; tr < 4; tr++) {
        runCase(tile, tr >> 1, tr & 1, 13, 11, 300, 1, 0, true, 0, false, work);
        runCase(tile, tr >> 1, tr & 1, 37, 35, 129, -1.5, 0.75, true, 3, false, work);
        runCase(tile, tr >> 1, tr & 1, 25, 50, 64, 0.5, 2, false, 1, false, work);
      }
    }
    checkWorkGuard(work, "budgets");
    heap.free(work);
    gemmSetBlocking(144, 100, 2048, 50, 50); // budgets below one tile: one tile / one strip per block
    const work2 = allocWork();
    for (let tile = 4; tile <= 6; tile++) {
      runCase(tile, 0, 0, 17, 19, 250, 1, 0.5, true, 0, false, work2);
      runCase(tile, 1, 1, 17, 19, 250, 1, 0, false, 3, false, work2);
    }
    checkWorkGuard(work2, "tiny budgets");
    heap.free(work2);
    gemmSetBlocking(DEFAULT_MC, DEFAULT_KC, DEFAULT_NC, DEFAULT_A_BUDGET, DEFAULT_B_BUDGET);
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
});
