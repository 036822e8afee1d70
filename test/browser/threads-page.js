// Test page for threads in Chromium (threads.browser.test.ts). Loaded two ways:
//   - as the page's module script: window.threadsInfo(), runMain(), runWorker(), runResponsive(),
//     runPlain() are what the test calls;
//   - as a module Worker (new Worker('/threads-page.js', { type: 'module' }), started by
//     runWorker()): it answers one message by running the same training there. A dedicated
//     worker may block in Atomics.wait when it joins its pool's workers; the page's main thread
//     may not (the engine spin-joins there): both paths are run.
// The bundle is served from its place in the package (/dist/browser/index.js, which fetches
// /wasm/<isa>[-threads].wasm and starts its thread workers from Blob URLs).
import * as d from '/dist/browser/index.js';
import { trainAll, trainOnce, fitOptions, SPEC } from '/threads-run.js';

const ISAS = ['simd', 'relaxed-simd'];
const THREADS = [1, 2, 3];
const isWorker = typeof window === 'undefined';

/** init({ threads: 'auto' }), or 2 explicitly where the runtime reports one core. */
async function initAuto() {
  const auto = await d.init({ threads: 'auto' });
  const out = { auto: auto.backend() };
  if (auto.threads < 2 && navigator.hardwareConcurrency < 2) out.explicit = (await d.init({ threads: 2 })).backend();
  return out;
}

function environment() {
  return {
    isWorker, crossOriginIsolated: self.crossOriginIsolated, sharedArrayBuffer: typeof SharedArrayBuffer,
    hardwareConcurrency: navigator.hardwareConcurrency, supportedIsas: d.supportedIsas(),
  };
}

/** Everything the determinism tests need, from this thread (page or worker). */
async function runHere() {
  const t0 = performance.now();
  const env = environment();
  const init = await initAuto();
  const runs = await trainAll(d, ISAS, THREADS);
  return { ...env, init, runs, stats: d.threadStats(), ms: Math.round(performance.now() - t0) };
}

if (isWorker) {
  self.onmessage = async () => {
    try {
      self.postMessage({ ok: await runHere() });
    } catch (e) {
      self.postMessage({ error: `${e?.name}: ${e?.message}\n${e?.stack ?? ''}` });
    }
  };
} else {
  window.threadsInfo = async () => ({ ...environment(), init: await initAuto() });
  window.runMain = runHere;

  window.runWorker = () => new Promise((resolve, reject) => {
    const w = new Worker('/threads-page.js', { type: 'module', name: 'threads-test' });
    w.onmessage = (e) => {
      w.terminate();
      if (e.data.error) reject(new Error(`in the worker: ${e.data.error}`));
      else resolve(e.data.ok);
    };
    w.onerror = (e) => { w.terminate(); reject(new Error(`worker error: ${e.message ?? e}`)); };
    w.postMessage('run');
  });

  /**
   * A threaded fitAsync on this page's main thread while a setInterval(…, 10) counts ticks: the
   * ticks, their rate, the longest gap between two ticks; the same for a 1-thread fitAsync and
   * for a threaded synchronous fit (which holds the page for its whole run). Ticks are counted
   * only while the training runs (not while the engine is created). Each run's digest too.
   */
  window.runResponsive = async (threads) => {
    const data = d.digits();
    const measure = async (driver, t = threads) => {
      let ticks = 0, last = 0, maxGap = 0, counting = false;
      const timer = setInterval(() => {
        if (!counting) return;
        const t = performance.now();
        maxGap = Math.max(maxGap, t - last);
        last = t;
        ticks++;
      }, 10);
      const hooks = {
        start: () => { counting = true; last = performance.now(); },
        stop: () => { counting = false; maxGap = Math.max(maxGap, performance.now() - last); },
      };
      try {
        const { run } = await trainOnce(d, data, 'relaxed-simd', t, driver, hooks);
        return { ...run, ticks, ticksPerSecond: ticks / (run.ms / 1000), maxGapMs: Math.round(maxGap) };
      } finally {
        clearInterval(timer);
      }
    };
    return { fitAsync: await measure('fitAsync'), fitAsync1: await measure('fitAsync', 1), fit: await measure('fit') };
  };

  /** On a page that is not cross-origin isolated: what init() gives, and what threads: 2 says. */
  window.runPlain = async () => {
    const env = environment();
    const auto = (await d.init()).backend();
    const autoExplicit = (await d.init({ threads: 'auto' })).backend();
    let two;
    try {
      const e = await d.init({ threads: 2 });
      two = { resolved: e.backend() };
    } catch (e) {
      two = { name: e.name, message: e.message, isDescentError: e instanceof d.DescentError };
    }
    // one thread still trains here (one epoch of the same network)
    const m = new d.Model(d.engine(), SPEC);
    const h = d.fit(m, d.digits(), { ...fitOptions(d), epochs: 1 });
    m.release();
    return { ...env, auto, autoExplicit, two, trained: h.loss, stats: d.threadStats() };
  };

  window.threadsPageReady = true;
}
