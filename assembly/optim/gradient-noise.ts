// Gaussian gradient noise (Neelakantan et al. 2015): g ← g + σ·z, z ~ N(0, 1) per element,
// with σ chosen per step by the caller (src/optim/gradient-noise.ts).
//
// The noise is a pure function of (seed, counter, global index), so it does not depend on
// how the vector is cut into calls (`offset` is the global index of g[0]), on SIMD lanes,
// on the engine or on the build:
//   - Philox-2x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as
//     1, 2, 3"; the generator of Random123, cuRAND and JAX) maps the counter (k, counter),
//     k = index >> 1, and the key `seed` to two 32-bit words x0, x1: ten rounds of
//     (c0, c1) ← (hi(M·c0) ^ key ^ c1, lo(M·c0)), key += W, M = 0xD256D193, W = 0x9E3779B9.
//   - Box–Muller turns them into the pair (r cos θ, r sin θ), r = √(−2 ln u1), θ = 2π·u2,
//     u1 = (x0 + ½)·2⁻³² ∈ (0, 1), u2 = x1·2⁻³²: even indices take the cosine, odd the sine.
//   - log, sqrt and sincos are AssemblyScript's NativeMath (musl's algorithms compiled into
//     the module), in f64; wasm's f64 arithmetic is deterministic, so every engine and both
//     builds (no relaxed instruction here) produce the same bits. g + σ·z is added in f64 and
//     rounded to f32 once.
// Scalar code: wasm has no vector log or sine. The cost is one Philox block, one log, one
// square root and one sincos per two elements.
//
// addGaussianNoise(n, g, sigma, seed, counter, offset)   offset + n ≤ 2³²

const PHILOX_M: u64 = 0xD256D193;
const PHILOX_W: u32 = 0x9E3779B9;
const TWO_POW_M32: f64 = 2.3283064365386963e-10; // 2^-32
const TWO_PI: f64 = 6.283185307179586;

let zCos: f64 = 0;
let zSin: f64 = 0;

/** Philox-2x32-10 of the counter (c0, c1) under `key`: x0 in the low 32 bits, x1 in the high. */
export function philox2x32(c0: u32, c1: u32, key: u32): u64 {
  for (let r = 0; r < 10; r++) {
    const prod = PHILOX_M * <u64>c0;
    const hi = <u32>(prod >> 32);
    c0 = hi ^ key ^ c1;
    c1 = <u32>prod;
    key += PHILOX_W;
  }
  return (<u64>c1 << 32) | <u64>c0;
}

/** The two standard normals of pair k into zCos (index 2k) and zSin (index 2k + 1). */
function boxMuller(k: u32, counter: u32, seed: u32): void {
  const x = philox2x32(k, counter, seed);
  const u1 = (<f64><u32>x + 0.5) * TWO_POW_M32;
  const u2 = <f64><u32>(x >> 32) * TWO_POW_M32;
  const r = NativeMath.sqrt(-2.0 * NativeMath.log(u1));
  NativeMath.sincos(TWO_PI * u2);
  zCos = r * NativeMath.sincos_cos;
  zSin = r * NativeMath.sincos_sin;
}

@inline function addAt(q: usize, sigma: f64, z: f64): void {
  store<f32>(q, <f32>(<f64>load<f32>(q) + sigma * z));
}

export function addGaussianNoise(n: i32, g: usize, sigma: f64, seed: u32, counter: u32, offset: u32): void {
  let i = 0;
  let j = offset;
  if (n > 0 && (j & 1) != 0) {          // g[0] is the second half of its pair
    boxMuller(j >>> 1, counter, seed);
    addAt(g, sigma, zSin);
    i = 1;
    j++;
  }
  for (; i + 2 <= n; i += 2, j += 2) {
    boxMuller(j >>> 1, counter, seed);
    const q = g + (<usize>i << 2);
    addAt(q, sigma, zCos);
    addAt(q + 4, sigma, zSin);
  }
  if (i < n) {
    boxMuller(j >>> 1, counter, seed);
    addAt(g + (<usize>i << 2), sigma, zCos);
  }
}
