// Module worker: the shared GEMM cases with the browser bundle on a plain-SIMD engine.
import * as d from '/descent.js';
import { runAll } from '/gemm-shared.js';

self.onmessage = async () => {
  try {
    const engine = await d.createEngine({ isa: 'simd' });
    self.postMessage({
      isWorker: typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope,
      backend: engine.backend(),
      cases: runAll(d, engine),
    });
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) });
  }
};
