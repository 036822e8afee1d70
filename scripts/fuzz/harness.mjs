// The fuzz harness (issue #13): seeded mutation campaigns over descent's loaders, one invariant
// per case. Used by scripts/fuzz.mjs (long campaigns, against dist/) and by test/fuzz-*.test.ts
// (short fixed-seed campaigns, against src/).
//
// A target (one per loader; the registry is scripts/fuzz/targets.mjs) is
//   {
//     name: 'model',                          // --only picks it
//     seeds(d, engine) → [{ bytes, ... }],      // valid inputs (bytes: Uint8Array); the other
//                                             // fields are the target's own (hyper-parameters…)
//     mutators: [(rng, bytes, seed) → bytes],   // ways to damage an input; 1–3 stacked per case
//     load(d, engine, bytes, seed) → value,     // the loader under test: returns or throws
//     check(d, engine, value, seed, bytes) → string | undefined
//                                             // an accepted input: its values valid, round trip
//                                             // exact; returns the problem, or undefined; must
//                                             // release everything value holds
//   }
// where d is the descent API (the package's exports) and rng a Rng (below).
//
// Invariants of every case: load returns (and check finds nothing wrong) or throws a
// DescentError; never another exception type; the engine's live bytes and blocks equal after the
// case what they were before (after check released an accepted value); no case runs longer than
// `hangMs`; a refused input shorter than 1 KiB neither grows wasm memory nor asks the engine
// for more than 10 MB (the allocator's requests are summed per case), nor takes more than 50 ms
// (a refusal over 10 ms is timed up to three times more and the least counts: a GC pause is
// not a finding). Case i of a campaign is reproducible alone: its Rng is derived from (seed, target,
// i), so `node scripts/fuzz.mjs --only model --seed S --case i --verbose` replays it.

/** A small seeded PRNG: mulberry32 over a 32-bit state. */
export class Rng {
  constructor(seed) { this.s = seed >>> 0; }
  next() {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n) { return Math.floor(this.next() * n); }
  pick(a) { return a[this.int(a.length)]; }
}

function hash(...parts) {
  let h = 2166136261;
  for (const p of parts) {
    const s = String(p);
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    h = Math.imul(h ^ 0xff, 16777619);
  }
  return h >>> 0;
}

export const caseRng = (seed, target, i) => new Rng(hash(seed, target, i));

const SMALL = 1024, MAX_COST_BYTES = 10e6, MAX_COST_MS = 50;

/**
 * Runs `cases` cases of `target` from campaign seed `seed`, starting at case `from`.
 * onCase(i) is called before each case (the CLI's watchdog reads it), onOutcome(i, outcome,
 * message) after it ('accepted' | 'refused' | 'other'; for --case replays). Returns the counts and
 * up to `keep` findings per kind: { case, kind, message, size, input (base64, inputs < 4 KiB) }.
 */
export function campaign(d, engine, target, { cases, seed = 1, from = 0, hangMs = 2000, keep = 5, onCase, onOutcome, seeds } = {}) {
  const pool = seeds ?? target.seeds(d, engine);
  const counts = { cases: 0, accepted: 0, refused: 0, nonLibrary: 0, invalid: 0, leaks: 0, hangs: 0, costly: 0, maxRefusedSmallMs: 0, maxRefusedSmallBytes: 0 };
  const findings = [];
  // bytes the engine is asked for during a case (the allocator's peak is a high-water mark over
  // the whole campaign, so it cannot say what one case cost)
  let requested = 0;
  const allocator = engine.allocator, alloc = allocator.alloc, had = Object.hasOwn(allocator, 'alloc');
  allocator.alloc = function (bytes, what) { requested += bytes; return alloc.call(this, bytes, what); };
  try {
    campaignCases();
  } finally {
    if (had) allocator.alloc = alloc;
    else delete allocator.alloc;
  }
  return { counts, findings };

  function campaignCases() {
    const found = (i, kind, message, bytes) => {
      counts[kind]++;
      if (findings.filter((f) => f.kind === kind).length < keep) {
        findings.push({ case: i, kind, message: String(message).slice(0, 400), size: bytes.length, input: bytes.length < 4096 ? Buffer.from(bytes).toString('base64') : undefined });
      }
    };
    for (let i = from; i < from + cases; i++) {
      onCase?.(i);
      const { bytes, seed: s } = input(target, pool, seed, i);
      const before = engine.memoryStats();
      requested = 0;
      const t0 = performance.now();
      let value, error;
      try {
        value = target.load(d, engine, bytes, s);
      } catch (e) {
        error = e;
      }
      const ms = performance.now() - t0;
      counts.cases++;
      if (ms > hangMs) found(i, 'hangs', `${ms.toFixed(0)} ms`, bytes);
      if (error !== undefined) {
        onOutcome?.(i, error instanceof d.DescentError ? 'refused' : 'other', `${error?.constructor?.name}: ${error?.message}`);
        if (!(error instanceof d.DescentError)) {
          found(i, 'nonLibrary', `${error?.constructor?.name}: ${error?.message}\n${String(error?.stack).split('\n').slice(1, 4).join('\n')}`, bytes);
          continue;
        }
        counts.refused++;
        const after = engine.memoryStats();
        if (after.liveBytes !== before.liveBytes || after.liveBlocks !== before.liveBlocks) {
          found(i, 'leaks', `live ${before.liveBytes} → ${after.liveBytes} bytes, ${before.liveBlocks} → ${after.liveBlocks} blocks after: ${error.message}`, bytes);
        }
        if (bytes.length < SMALL) {
          const cost = Math.max(after.memoryBytes - before.memoryBytes, requested);
          let t = ms;
          for (let again = 0; again < 3 && t > MAX_COST_MS / 5; again++) { // to tell a slow input from a GC pause
            const t1 = performance.now();
            try { target.load(d, engine, bytes, s); } catch { /* refused again */ }
            t = Math.min(t, performance.now() - t1);
          }
          counts.maxRefusedSmallMs = Math.max(counts.maxRefusedSmallMs, t);
          counts.maxRefusedSmallBytes = Math.max(counts.maxRefusedSmallBytes, cost);
          if (cost > MAX_COST_BYTES || t > MAX_COST_MS) found(i, 'costly', `${bytes.length}-byte input refused after ${t.toFixed(1)} ms and ${(cost / 1e6).toFixed(1)} MB: ${error.message}`, bytes);
        }
        continue;
      }
      counts.accepted++;
      onOutcome?.(i, 'accepted', '');
      let problem;
      try {
        problem = target.check(d, engine, value, s, bytes);
      } catch (e) {
        problem = `check threw ${e?.constructor?.name}: ${e?.message}`;
      }
      if (problem) found(i, 'invalid', problem, bytes);
      const after = engine.memoryStats();
      if (after.liveBytes !== before.liveBytes || after.liveBlocks !== before.liveBlocks) {
        found(i, 'leaks', `accepted input: live ${before.liveBytes} → ${after.liveBytes} bytes after check released it`, bytes);
      }
    }
  }
}

/** The input of case i: a seed damaged by 1–3 of the target's mutators. */
export function input(target, pool, seed, i) {
  const rng = caseRng(seed, target.name, i);
  const s = rng.pick(pool);
  let bytes = s.bytes;
  const k = rng.next() < 0.7 ? 1 : 2 + rng.int(2);
  for (let j = 0; j < k; j++) {
    // a mutator that trips over an input an earlier one damaged flips bits instead
    try { bytes = rng.pick(target.mutators)(rng, bytes, s); } catch { bytes = byteMutators.flip(rng, bytes); }
  }
  return { bytes, seed: s };
}

// ---- mutators any binary format can use ----

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x20, 0x22, 0x2c, 0x2d, 0x30, 0x39, 0x5b, 0x5d, 0x7b, 0x7d, 0x0a, 0x09, 0x5c];

export const byteMutators = {
  flip(rng, b) {
    const o = b.slice();
    if (o.length) for (let n = 1 + rng.int(4); n > 0; n--) o[rng.int(o.length)] ^= 1 << rng.int(8);
    return o;
  },
  interesting(rng, b) {
    const o = b.slice();
    if (o.length) for (let n = 1 + rng.int(3); n > 0; n--) o[rng.int(o.length)] = rng.pick(INTERESTING);
    return o;
  },
  truncate(rng, b) {
    return b.slice(0, rng.int(b.length + 1));
  },
  extend(rng, b) {
    const n = rng.pick([1, 3, 4, 8, 64, 1 + rng.int(2000)]);
    const o = new Uint8Array(b.length + n);
    o.set(b);
    const fill = rng.int(3);
    for (let i = b.length; i < o.length; i++) o[i] = fill === 0 ? 0 : fill === 1 ? 0x20 : rng.int(256);
    return o;
  },
  /** Delete or duplicate a run of bytes somewhere in the middle. */
  splice(rng, b) {
    if (b.length < 2) return b.slice();
    const at = rng.int(b.length), n = 1 + rng.int(Math.min(64, b.length - at));
    if (rng.next() < 0.5) return new Uint8Array([...b.subarray(0, at), ...b.subarray(at + n)]);
    return new Uint8Array([...b.subarray(0, at + n), ...b.subarray(at, at + n), ...b.subarray(at + n)]);
  },
};
