// Test page: runs the shared GEMM cases with the browser bundle on the main thread (plain and
// relaxed SIMD) and, with plain SIMD, in a module Web Worker. The test calls window.runGemm().
import * as d from '/descent.js';
import { runAll, runTraining } from '/gemm-shared.js';

function inWorker() {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/gemm-worker.js', { type: 'module' });
    const timer = setTimeout(() => { worker.terminate(); reject(new Error('worker: no answer within 30 s')); }, 30_000);
    const done = () => { clearTimeout(timer); worker.terminate(); };
    worker.onmessage = (ev) => {
      done();
      if (ev.data.error) reject(new Error(`worker: ${ev.data.error}`));
      else resolve(ev.data);
    };
    worker.onerror = (ev) => {
      done();
      reject(new Error(`worker failed to load or run: ${ev.message ?? 'error event'} (${ev.filename ?? ''}:${ev.lineno ?? ''})`));
    };
    worker.postMessage('run');
  });
}

async function runGemm() {
  const simd = await d.createEngine({ isa: 'simd' });
  const simd6 = await d.createEngine({ isa: 'simd', gemmTile: 6 });
  const relaxed = await d.createEngine({ isa: 'relaxed-simd' });
  const out = {
    userAgent: navigator.userAgent,
    supportedIsas: d.supportedIsas(),
    simd: { backend: simd.backend(), cases: runAll(d, simd) },
    simd6: { backend: simd6.backend(), cases: runAll(d, simd6) },
    relaxed: { backend: relaxed.backend(), cases: runAll(d, relaxed) },
  };
  // The default engine via init(), as the README's usage shows.
  const dflt = await d.init({ isa: 'simd' });
  out.init = { backend: d.backend(), cases: runAll(d, dflt) };
  out.training = runTraining(d, simd);
  out.worker = await inWorker();
  return out;
}

window.runGemm = runGemm;
window.gemmPageReady = true;
