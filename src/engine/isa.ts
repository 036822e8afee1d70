// Which wasm build to run.
//
// Both modules come from one AssemblyScript source (asconfig.json targets "simd" and
// "relaxed"). Relaxed SIMD adds f32x4.relaxed_madd — a fused multiply-add on hardware that has
// one — and is on in Chromium and Node ≥ 22; Node 20 needs --experimental-wasm-relaxed-simd.
// We ask the engine itself: WebAssembly.validate(bytes) is false where the opcodes are unknown.
// Plain SIMD results are bit-for-bit the same on every engine; relaxed results may differ in
// the last bits between machines (fused or unfused multiply-add).

import simdBytes from '../../build/descent-simd.wasm';
import relaxedBytes from '../../build/descent-relaxed.wasm';
import { DescentError } from './errors.js';

export type Isa = 'simd' | 'relaxed-simd';

export const wasmBytes: Record<Isa, Uint8Array<ArrayBuffer>> = {
  'simd': simdBytes,
  'relaxed-simd': relaxedBytes,
};

const cache = new Map<Isa, boolean>();

/** Whether this runtime can run the given build. */
export function isaSupported(isa: Isa): boolean {
  let ok = cache.get(isa);
  if (ok === undefined) {
    ok = typeof WebAssembly === 'object' && WebAssembly.validate(wasmBytes[isa]);
    cache.set(isa, ok);
  }
  return ok;
}

/** The builds this runtime can run, best first. */
export function supportedIsas(): Isa[] {
  return (['relaxed-simd', 'simd'] as Isa[]).filter(isaSupported);
}

export function chooseIsa(requested: Isa | 'auto' = 'auto'): Isa {
  if (requested === 'auto') {
    const best = supportedIsas()[0];
    if (!best) {
      throw new DescentError('descent needs WebAssembly with SIMD (Node ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4); this runtime has none');
    }
    return best;
  }
  if (requested !== 'simd' && requested !== 'relaxed-simd') {
    throw new DescentError(`init: unknown isa ${JSON.stringify(requested)}; expected 'auto', 'simd' or 'relaxed-simd'`);
  }
  if (!isaSupported(requested)) {
    const hint = requested === 'relaxed-simd'
      ? ' (Node 20 needs the flag --experimental-wasm-relaxed-simd; Node ≥ 22 and Chromium have it on)'
      : '';
    throw new DescentError(`init: this runtime cannot run the ${requested} build${hint}`);
  }
  return requested;
}
