// Small-m product (assembly/gemm/smallm.ts): Y = X·W (+ bias), W in its stored layout; and
// gemmDirectB (assembly/gemm/driver.ts), which must give gemm()'s bits without packing B.
// as-pect builds plain SIMD, where the kernel's order is a single f32 loop per element:
//   acc = bias (or 0); for i = 0 … k−1: acc = acc + x[r,i]·W[i,j]
// so each element is checked bit for bit against that loop, and against an f64 sum within
// (k + 2)·2⁻²³·(Σ|x·w| + |bias|). Strides padded by 0 or 3 floats (padding NaN in X and W,
// a sentinel in Y's padding), a guard after Y that must stay untouched.
import { gemmSmallM, gemm, gemmDirectB, gemmWorkspaceBytes } from "../../assembly/index";

const GUARD: i32 = 16;
const SENTINEL: f32 = 7777.25;

let rngState: u32 = 0x2545f491;
function rnd(): f32 {
  let x = rngState;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rngState = x;
  return <f32>(x >> 8) * <f32>(1.0 / 8388608.0) - 1;
}
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

let failure: string = "";
let checked: i32 = 0;
function fail(msg: string): void {
  if (failure.length == 0) failure = msg;
}

function runCase(m: i32, n: i32, k: i32, withBias: bool, pad: i32): void {
  const what = "m=" + m.toString() + " n=" + n.toString() + " k=" + k.toString() +
    " bias=" + (withBias ? "yes" : "no") + " pad=" + pad.toString();
  const ldx = k + pad, ldw = n + pad, ldy = n + pad;
  const x = allocF32(m * ldx), w = allocF32(k * ldw), bias = allocF32(n);
  const y = allocF32(m * ldy + GUARD);
  for (let r = 0; r < m; r++) for (let q = 0; q < ldx; q++) st(x, r * ldx + q, q < k ? rnd() : NaN);
  for (let i = 0; i < k; i++) for (let q = 0; q < ldw; q++) st(w, i * ldw + q, q < n ? rnd() : NaN);
  for (let j = 0; j < n; j++) st(bias, j, rnd());
  for (let q = 0; q < m * ldy + GUARD; q++) st(y, q, q < m * ldy && q % ldy < n ? <f32>NaN : SENTINEL);

  gemmSmallM(m, n, k, x, ldx, w, ldw, withBias ? bias : 0, y, ldy);

  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) {
      let acc: f32 = withBias ? ld(bias, j) : 0;
      let s: f64 = <f64>acc, sa: f64 = Math.abs(s);
      for (let i = 0; i < k; i++) {
        const a = ld(x, r * ldx + i), b = ld(w, i * ldw + j);
        acc = acc + a * b;
        const p = <f64>a * <f64>b;
        s += p;
        sa += Math.abs(p);
      }
      const got = ld(y, r * ldy + j);
      if (!sameBits(got, acc)) fail(what + ": (" + r.toString() + ", " + j.toString() + ") got " + got.toString() + ", f32 loop " + acc.toString());
      if (!(Math.abs(<f64>got - s) <= <f64>(k + 2) * 1.1920928955078125e-7 * sa + 1e-37)) fail(what + ": outside the f64 bound at (" + r.toString() + ", " + j.toString() + ")");
      checked++;
    }
    for (let j = n; j < ldy; j++) if (!sameBits(ld(y, r * ldy + j), SENTINEL)) fail(what + ": wrote into Y's padding");
  }
  for (let g = 0; g < GUARD; g++) if (!sameBits(ld(y, m * ldy + g), SENTINEL)) fail(what + ": wrote past the end of Y");
  heap.free(y);
  heap.free(bias);
  heap.free(w);
  heap.free(x);
}

describe("gemmSmallM: Y = X·W (+ bias) without packing", () => {
  it("odd sizes, padded strides, bit for bit against the f32 loop and within the f64 bound", () => {
    const ms: i32[] = [1, 2, 3, 8, 17];
    const ns: i32[] = [1, 3, 8, 12, 17, 129];
    const ks: i32[] = [1, 3, 4, 17, 129];
    for (let a = 0; a < ms.length; a++) {
      for (let b = 0; b < ns.length; b++) {
        for (let c = 0; c < ks.length; c++) {
          runCase(ms[a], ns[b], ks[c], (a + b + c) % 2 == 0, (a + c) % 2 == 0 ? 0 : 3);
        }
      }
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
  it("k = 0 gives the bias, m = 0 writes nothing", () => {
    runCase(3, 5, 0, true, 0);
    runCase(3, 5, 0, false, 3);
    runCase(0, 5, 4, true, 0);
    expect<string>(failure).toBe("");
  });
});

function directCase(tile: i32, m: i32, n: i32, k: i32, withBias: bool): void {
  const what = "gemmDirectB tile=" + tile.toString() + " m=" + m.toString() + " n=" + n.toString() + " k=" + k.toString();
  const a = allocF32(m * k), b = allocF32(k * n), bias = allocF32(n);
  const c1 = allocF32(m * n), c2 = allocF32(m * n + GUARD);
  for (let i = 0; i < m * k; i++) st(a, i, rnd());
  for (let i = 0; i < k * n; i++) st(b, i, rnd());
  for (let j = 0; j < n; j++) st(bias, j, rnd());
  for (let i = 0; i < m * n; i++) { st(c1, i, NaN); st(c2, i, NaN); }
  for (let g = 0; g < GUARD; g++) st(c2, m * n + g, SENTINEL);
  const work = heap.alloc(gemmWorkspaceBytes());
  gemm(tile, 0, 0, m, n, k, 1, a, k, b, n, 0, c1, n, withBias ? bias : 0, work);
  gemmDirectB(tile, m, n, k, a, k, b, n, c2, n, withBias ? bias : 0, work);
  for (let i = 0; i < m * n; i++) {
    if (!sameBits(ld(c1, i), ld(c2, i))) { fail(what + ": element " + i.toString() + " differs from gemm"); break; }
    checked++;
  }
  for (let g = 0; g < GUARD; g++) if (!sameBits(ld(c2, m * n + g), SENTINEL)) fail(what + ": wrote past the end of C");
  heap.free(work);
  heap.free(c2);
  heap.free(c1);
  heap.free(bias);
  heap.free(b);
  heap.free(a);
}

describe("gemmDirectB: C = A·B (+ bias) with B read in place", () => {
  it("has gemm's bits: every tile, n below, at and off multiples of 8, two k blocks", () => {
    const tiles: i32[] = [4, 5, 6];
    for (let t = 0; t < tiles.length; t++) {
      directCase(tiles[t], 7, 5, 3, true);
      directCase(tiles[t], 9, 16, 17, false);
      directCase(tiles[t], 17, 129, 129, true);
      directCase(tiles[t], 11, 13, 1700, true);
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
});
