// The training run of threads.browser.test.ts, shared by the Chromium page, the module Worker it
// starts (threads-page.js) and the Node child process the test spawns, so all three run the same
// code on the same bundle build (dist/browser/index.js or dist/node/index.js, passed in as `d`).
//
// The network is the one issue #14 names: 64-1024bn-512ln-10 (dense 1024 without bias → batch
// norm + ReLU → dense 512 → layer norm + ReLU → dense 10), Adam, batch 256, 3 epochs on the full
// digits set (1797 samples: 8 steps an epoch, the last one a partial batch of 5), so every kernel
// class (GEMM in all three forms, elementwise, batch and layer norm, the reductions of the loss
// and of the batch statistics, the fused Adam update) runs at sizes large enough to split.

export const SPEC = {
  inputs: 64, seed: 7, loss: 'softmax-cross-entropy',
  layers: [
    { units: 1024, activation: 'linear', bias: false }, { type: 'batchnorm', activation: 'relu' },
    { units: 512, activation: 'linear' }, { type: 'layernorm', activation: 'relu' },
    { units: 10 },
  ],
};
export const EPOCHS = 3;
export const BATCH = 256;

export const fitOptions = (d) => ({ epochs: EPOCHS, batchSize: BATCH, seed: 3, optimizer: d.optimizer('adam', { lr: 1e-3 }) });

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

/** The model's parameters and batch-norm running statistics, as one byte string. */
export function modelBytes(m) {
  const parts = [m.parameters().toArray(), ...m.buffers().map((b) => b.tensor.toArray())];
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** SHA-256 of the model's bytes (WebCrypto: in pages, workers and Node ≥ 19 alike). */
export async function digest(f32) {
  return hex(await crypto.subtle.digest('SHA-256', new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength)));
}

/** '' when two Float32Arrays hold the same bits, else how many elements differ and the first. */
export function differ(a, b) {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0, first = -1;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) { n++; if (first < 0) first = i; }
  return n ? `${n} of ${a.length} differ, first at ${first}: ${a[first]} vs ${b[first]}` : '';
}

/**
 * One training run on a fresh engine of `isa` with `threads` threads: its digest, time, the
 * chunks each thread of the pool ran during it (threadStats() before and after), and its bytes.
 * `driver` is 'fit' (synchronous) or 'fitAsync'; `hooks.start` and `hooks.stop`, if given, are
 * called right before and after the training (not around the engine's creation).
 */
export async function trainOnce(d, data, isa, threads, driver = 'fit', hooks = {}) {
  const engine = await d.createEngine({ isa, threads });
  const before = d.threadStats();
  const m = new d.Model(engine, SPEC);
  hooks.start?.();
  const t0 = performance.now();
  if (driver === 'fit') d.fit(m, data, fitOptions(d));
  else await d.fitAsync(m, data, fitOptions(d));
  const ms = performance.now() - t0;
  hooks.stop?.();
  const after = d.threadStats();
  const bytes = modelBytes(m);
  const b = engine.backend();
  const run = {
    isa: b.isa, threads: b.threads, threadsReason: b.threadsReason, ms: Math.round(ms), passes: m.passes,
    chunks: after.map((v, i) => v - (before[i] ?? 0)), digest: await digest(bytes), length: bytes.length,
  };
  m.release();
  return { run, bytes };
}

/**
 * Every ISA × thread count: runs[isa][threads] = the run, plus `diff` against the 1-thread run
 * of the same ISA ('' when bit-identical).
 */
export async function trainAll(d, isas, threadCounts) {
  const data = d.digits();
  const runs = {};
  for (const isa of isas) {
    runs[isa] = {};
    let reference;
    for (const t of threadCounts) {
      const { run, bytes } = await trainOnce(d, data, isa, t);
      reference ??= bytes;
      runs[isa][t] = { ...run, diff: differ(reference, bytes) };
    }
  }
  return runs;
}
