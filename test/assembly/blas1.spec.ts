// Level-1 kernels (assembly/blas1.ts) and the peak kernel (assembly/peak.ts).
//
// Reductions (dot, sum, nrm2) against f64 loops within the f64 summation error bound; the
// elementwise kernels against scalar f32 loops, bit for bit (this is the plain-SIMD build:
// f32x4 lanes round exactly like scalar f32, and axpy is a separate mul and add).
// Inputs sit 1 float past a 16-byte boundary (unaligned SIMD loads and stores); every output
// and input is followed by a guard of NaN / sentinel floats: reading past n would put a NaN into
// a reduction, writing past n would change the sentinel.
import {
  dot, sum, nrm2, axpy, scal, scale, add, mul, fill, copy,
  peak, peakFlopsPerIteration, isRelaxed,
} from "../../assembly/index";

const GUARD: i32 = 16;
const SENTINEL: f32 = 7777.25;
const EPS64: f64 = 2.220446049250313e-16; // 2^-52
// sizes: single, tails of the 4- and 16-wide loops, 16 + 4 + 3, odd and large
const SIZES: StaticArray<i32> = [1, 3, 7, 17, 23, 129, 1000];

let rngState: u32 = 0x2545f491;
function seed(s: u32): void {
  rngState = s;
}
function rnd(): f32 {
  let x = rngState;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rngState = x;
  return <f32>(x >> 8) * <f32>(1.0 / 8388608.0) - 1;
}

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

// Buffers: heap.alloc is 16-byte aligned; vectors start 1 float later (base + 4).
function allocVec(n: i32): usize {
  return heap.alloc((<usize>(n + GUARD + 1)) << 2) + 4;
}
function freeVec(p: usize): void {
  heap.free(p - 4);
}
/** n pseudo-random floats followed by `GUARD` copies of guard. */
function randomVec(n: i32, guard: f32): usize {
  const p = allocVec(n);
  for (let i = 0; i < n; i++) st(p, i, rnd());
  for (let g = 0; g < GUARD; g++) st(p, n + g, guard);
  return p;
}
function constVec(n: i32, v: f32, guard: f32): usize {
  const p = allocVec(n);
  for (let i = 0; i < n; i++) st(p, i, v);
  for (let g = 0; g < GUARD; g++) st(p, n + g, guard);
  return p;
}

/** p[0..n+GUARD) bit-equal to want[0..n) and the sentinel guard after it. */
function expectExact(p: usize, want: StaticArray<f32>, n: i32, what: string): void {
  for (let i = 0; i < n; i++) {
    checked++;
    if (!sameBits(ld(p, i), want[i])) {
      fail(what + " n=" + n.toString() + ": [" + i.toString() + "] = " + ld(p, i).toString() +
        ", want " + want[i].toString());
      return;
    }
  }
  for (let g = 0; g < GUARD; g++) {
    if (!sameBits(ld(p, n + g), SENTINEL)) {
      fail(what + " n=" + n.toString() + ": wrote past n (guard float " + g.toString() + ")");
      return;
    }
  }
}

function expectClose(got: f64, want: f64, tol: f64, what: string): void {
  checked++;
  if (!isFinite(got) || Math.abs(got - want) > tol) {
    fail(what + ": got " + got.toString() + ", want " + want.toString() + " ± " + tol.toString());
  }
}

describe("build", () => {
  it("is the plain-SIMD build (exact-rounding checks below rely on it)", () => {
    expect<i32>(isRelaxed()).toBe(0);
  });
});

describe("reductions (f64 accumulation)", () => {
  it("dot vs f64 loop", () => {
    reset();
    seed(1);
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = randomVec(n, NaN);
      const y = randomVec(n, NaN);
      let want: f64 = 0, mag: f64 = 0;
      for (let i = 0; i < n; i++) {
        const t = <f64>ld(x, i) * <f64>ld(y, i);
        want += t;
        mag += Math.abs(t);
      }
      expectClose(dot(n, x, y), want, <f64>(n + 1) * EPS64 * mag, "dot n=" + n.toString());
      freeVec(x);
      freeVec(y);
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBe(SIZES.length);
  });

  it("sum vs f64 loop", () => {
    reset();
    seed(2);
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = randomVec(n, NaN);
      let want: f64 = 0, mag: f64 = 0;
      for (let i = 0; i < n; i++) {
        want += <f64>ld(x, i);
        mag += Math.abs(<f64>ld(x, i));
      }
      expectClose(sum(n, x), want, <f64>(n + 1) * EPS64 * mag, "sum n=" + n.toString());
      freeVec(x);
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBe(SIZES.length);
  });

  it("nrm2 vs f64 loop", () => {
    reset();
    seed(3);
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = randomVec(n, NaN);
      let ss: f64 = 0;
      for (let i = 0; i < n; i++) ss += <f64>ld(x, i) * <f64>ld(x, i);
      const want = Math.sqrt(ss);
      expectClose(nrm2(n, x), want, <f64>(n + 2) * EPS64 * want, "nrm2 n=" + n.toString());
      freeVec(x);
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBe(SIZES.length);
  });

  it("n = 0: dot = sum = nrm2 = 0 (nothing read)", () => {
    const x = constVec(0, 0, NaN);
    expect<f64>(dot(0, x, x)).toBe(0);
    expect<f64>(sum(0, x)).toBe(0);
    expect<f64>(nrm2(0, x)).toBe(0);
    freeVec(x);
  });

  it("nrm2 does not overflow (1e30) or underflow (1e-30): ≈ |x|·√n", () => {
    reset();
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const big = constVec(n, 1e30, NaN);
      const tiny = constVec(n, 1e-30, NaN);
      const sq = Math.sqrt(<f64>n);
      const wantBig = <f64><f32>1e30 * sq;
      const wantTiny = <f64><f32>1e-30 * sq;
      expectClose(nrm2(n, big), wantBig, 1e-12 * wantBig, "nrm2(1e30) n=" + n.toString());
      expectClose(nrm2(n, tiny), wantTiny, 1e-12 * wantTiny, "nrm2(1e-30) n=" + n.toString());
      freeVec(big);
      freeVec(tiny);
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBe(2 * SIZES.length);
  });
});

const SCALARS: StaticArray<f32> = [0.7, -1.3, 0, 1];

describe("elementwise kernels: bit-exact vs scalar f32 loops", () => {
  it("axpy: y ← a·x + y", () => {
    reset();
    seed(4);
    for (let s = 0; s < SIZES.length; s++) {
      for (let q = 0; q < SCALARS.length; q++) {
        const n = SIZES[s], a = SCALARS[q];
        const x = randomVec(n, NaN);
        const y = randomVec(n, SENTINEL);
        const want = new StaticArray<f32>(n);
        for (let i = 0; i < n; i++) want[i] = a * ld(x, i) + ld(y, i);
        axpy(n, a, x, y);
        expectExact(y, want, n, "axpy a=" + a.toString());
        freeVec(x);
        freeVec(y);
      }
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("scale: out ← a·x (x unchanged)", () => {
    reset();
    seed(5);
    for (let s = 0; s < SIZES.length; s++) {
      for (let q = 0; q < SCALARS.length; q++) {
        const n = SIZES[s], a = SCALARS[q];
        const x = randomVec(n, NaN);
        const out = constVec(n, NaN, SENTINEL);
        const want = new StaticArray<f32>(n);
        const orig = new StaticArray<f32>(n);
        for (let i = 0; i < n; i++) {
          want[i] = a * ld(x, i);
          orig[i] = ld(x, i);
        }
        scale(n, a, x, out);
        expectExact(out, want, n, "scale a=" + a.toString());
        for (let i = 0; i < n; i++) {
          if (!sameBits(ld(x, i), orig[i])) fail("scale modified x at " + i.toString());
        }
        freeVec(x);
        freeVec(out);
      }
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("scal: x ← a·x", () => {
    reset();
    seed(6);
    for (let s = 0; s < SIZES.length; s++) {
      for (let q = 0; q < SCALARS.length; q++) {
        const n = SIZES[s], a = SCALARS[q];
        const x = randomVec(n, SENTINEL);
        const want = new StaticArray<f32>(n);
        for (let i = 0; i < n; i++) want[i] = a * ld(x, i);
        scal(n, a, x);
        expectExact(x, want, n, "scal a=" + a.toString());
        freeVec(x);
      }
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("add: out ← x + y (also in place, out = x)", () => {
    reset();
    seed(7);
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = randomVec(n, SENTINEL);
      const y = randomVec(n, NaN);
      const out = constVec(n, NaN, SENTINEL);
      const want = new StaticArray<f32>(n);
      for (let i = 0; i < n; i++) want[i] = ld(x, i) + ld(y, i);
      add(n, x, y, out);
      expectExact(out, want, n, "add");
      add(n, x, y, x);
      expectExact(x, want, n, "add in place");
      freeVec(x);
      freeVec(y);
      freeVec(out);
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("mul: out ← x ⊙ y (also in place, out = y)", () => {
    reset();
    seed(8);
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = randomVec(n, NaN);
      const y = randomVec(n, SENTINEL);
      const out = constVec(n, NaN, SENTINEL);
      const want = new StaticArray<f32>(n);
      for (let i = 0; i < n; i++) want[i] = ld(x, i) * ld(y, i);
      mul(n, x, y, out);
      expectExact(out, want, n, "mul");
      mul(n, x, y, y);
      expectExact(y, want, n, "mul in place");
      freeVec(x);
      freeVec(y);
      freeVec(out);
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("fill: x ← v", () => {
    reset();
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = constVec(n, NaN, SENTINEL);
      const want = new StaticArray<f32>(n);
      for (let i = 0; i < n; i++) want[i] = -2.5;
      fill(n, -2.5, x);
      expectExact(x, want, n, "fill");
      freeVec(x);
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("n = 0 writes nothing", () => {
    reset();
    const x = constVec(0, 0, SENTINEL);
    const none = new StaticArray<f32>(0);
    axpy(0, 2, x, x);
    scale(0, 2, x, x);
    scal(0, 2, x);
    add(0, x, x, x);
    mul(0, x, x, x);
    fill(0, 1, x);
    copy(0, x, x);
    expectExact(x, none, 0, "n = 0");
    freeVec(x);
    expect<string>(failure).toBe("");
  });
});

describe("copy (memmove semantics)", () => {
  it("disjoint ranges", () => {
    reset();
    seed(9);
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const src = randomVec(n, NaN);
      const dst = constVec(n, NaN, SENTINEL);
      const want = new StaticArray<f32>(n);
      for (let i = 0; i < n; i++) want[i] = ld(src, i);
      copy(n, src, dst);
      expectExact(dst, want, n, "copy");
      freeVec(src);
      freeVec(dst);
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });

  it("overlapping ranges, dst after src and dst before src", () => {
    reset();
    seed(10);
    const shifts: StaticArray<i32> = [1, 3, 4, 5, 17];
    for (let s = 0; s < SIZES.length; s++) {
      for (let h = 0; h < shifts.length; h++) {
        const n = SIZES[s], d = shifts[h];
        const len = n + d;
        for (let dir = 0; dir < 2; dir++) {
          // buffer of len floats (+ guard); forward: copy [0, n) to [d, d + n); backward: [d, d + n) to [0, n)
          const buf = randomVec(len, SENTINEL);
          const orig = new StaticArray<f32>(len);
          for (let i = 0; i < len; i++) orig[i] = ld(buf, i);
          const want = new StaticArray<f32>(len);
          for (let i = 0; i < len; i++) want[i] = orig[i];
          const from = dir == 0 ? 0 : d;
          const to = dir == 0 ? d : 0;
          for (let i = 0; i < n; i++) want[to + i] = orig[from + i];
          copy(n, buf + (<usize>from << 2), buf + (<usize>to << 2));
          expectExact(buf, want, len, (dir == 0 ? "copy forward overlap d=" : "copy backward overlap d=") + d.toString());
          freeVec(buf);
        }
      }
    }
    expect<string>(failure).toBe("");
    expect<i32>(checked).toBeGreaterThan(0);
  });
});

/** Scalar model of peak() in the plain build: the same f32 operations in the same order. */
function peakModel(iterations: i32, seedValue: f32): f32 {
  const x: f32 = 0.9999;
  const y: f32 = seedValue * <f32>1e-4;
  const a = new StaticArray<f32>(12);
  for (let c = 0; c < 12; c++) a[c] = seedValue + <f32>c;
  for (let i = 0; i < iterations; i++) {
    for (let c = 0; c < 12; c++) a[c] = a[c] * x + y;
  }
  const lane: f32 = (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))) + ((a[8] + a[9]) + (a[10] + a[11]));
  return lane + lane + lane + lane;
}

describe("peak", () => {
  it("peakFlopsPerIteration() is 96 (12 chains × 4 lanes × 2 flops)", () => {
    expect<i32>(peakFlopsPerIteration()).toBe(96);
  });

  it("peak(iterations, seed) returns a finite number", () => {
    const r = peak(100000, 1.0);
    expect<bool>(isFinite(r)).toBe(true, "peak(100000, 1) = " + r.toString());
    const r2 = peak(1000, 0.5);
    expect<bool>(isFinite(r2)).toBe(true, "peak(1000, 0.5) = " + r2.toString());
  });

  it("peak(0, s) = 4·(12s + 66); peak(n, s) matches the scalar model", () => {
    expect<f32>(peak(0, 0.5)).toBe(288);
    expect<f32>(peak(0, 2)).toBe(360);
    const r = peak(1000, 1.5);
    const want = peakModel(1000, 1.5);
    expect<bool>(Math.abs(<f64>r - <f64>want) <= 1e-5 * Math.abs(<f64>want)).toBe(true,
      "peak(1000, 1.5) = " + r.toString() + ", model " + want.toString());
  });
});
