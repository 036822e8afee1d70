// Register-only peak kernel: the most f32 flops per second this engine can issue, with no
// memory traffic. 12 independent accumulator chains (enough to cover the latency of
// mul+add or FMA on current x86 and ARM cores) each do acc = acc·x + y per iteration:
// 12 chains × 4 lanes × 2 flops = 96 flops per iteration. Benchmarks divide a kernel's
// GFLOP/s by this kernel's, measured in the same run, to get a fraction of the machine's
// limit that does not depend on the clock or on other load.

import { madd } from "./simd";

export function peakFlopsPerIteration(): i32 {
  return 96;
}

export function peak(iterations: i32, seed: f32): f32 {
  const x = f32x4.splat(0.9999);
  const y = f32x4.splat(seed * 1e-4);
  let a0 = f32x4.splat(seed), a1 = f32x4.splat(seed + 1), a2 = f32x4.splat(seed + 2);
  let a3 = f32x4.splat(seed + 3), a4 = f32x4.splat(seed + 4), a5 = f32x4.splat(seed + 5);
  let a6 = f32x4.splat(seed + 6), a7 = f32x4.splat(seed + 7), a8 = f32x4.splat(seed + 8);
  let a9 = f32x4.splat(seed + 9), a10 = f32x4.splat(seed + 10), a11 = f32x4.splat(seed + 11);
  for (let i = 0; i < iterations; i++) {
    a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y);
    a3 = madd(a3, x, y); a4 = madd(a4, x, y); a5 = madd(a5, x, y);
    a6 = madd(a6, x, y); a7 = madd(a7, x, y); a8 = madd(a8, x, y);
    a9 = madd(a9, x, y); a10 = madd(a10, x, y); a11 = madd(a11, x, y);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
