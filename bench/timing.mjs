// Timing helpers shared by the benchmarks.

/** The median of xs (mean of the middle two for an even count). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** ms per call of fn: repeats it until at least minMs have passed in one timed batch. */
export function timeIt(fn, minMs = 60) {
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= minMs) return dt / reps;
    reps = Math.max(reps * 2, Math.ceil(reps * minMs / Math.max(dt, 0.01)));
  }
}
