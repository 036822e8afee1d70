// Seeded pseudo-random numbers, identical on every JS engine (integer arithmetic only, and
// Math.log / Math.sqrt / Math.cos, which V8, SpiderMonkey and JSC round the same way for the
// values used here... except where noted by tests: weights are drawn in f64 then rounded to f32).
//
// Generator: mulberry32 (Tommy Ettinger, public domain), 32-bit state, period 2^32 — small,
// fast and good enough for initialization, shuffling and dropout masks; not for cryptography.
// Normal deviates: Box–Muller (both values of each pair are used).

export class Random {
  #state: number;
  #spare: number | undefined;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new TypeError(`Random: seed must be a finite number, got ${seed}`);
    this.#state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}
