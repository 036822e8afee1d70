// Which wasm build to run.
//
// Both modules come from one AssemblyScript source (asconfig.json targets "simd" and
// "relaxed"). Relaxed SIMD adds f32x4.relaxed_madd — a fused multiply-add on hardware that has
// one — and is on in Chromium and Node ≥ 22; Node 20 needs --experimental-wasm-relaxed-simd.
// We ask the engine itself, without holding either build: WebAssembly.validate of a probe
// module of a few dozen bytes that uses one instruction of the feature is false where the
// engine does not know the opcodes (the probes are built below, byte by byte). Plain SIMD
// results are bit-for-bit the same on every engine; relaxed results may differ in the last bits
// between machines (fused or unfused multiply-add).

import { DescentError } from './errors.js';

export type Isa = 'simd' | 'relaxed-simd';

/** Module file name of each build (in the package: wasm/<name>). */
export const WASM_FILES: Record<Isa, string> = {
  'simd': 'simd.wasm',
  'relaxed-simd': 'relaxed-simd.wasm',
};

/** File of a build: the shared-memory (threads) variant is wasm/<isa>-threads.wasm. */
export function wasmFile(isa: Isa, shared = false): string {
  return shared ? WASM_FILES[isa].replace('.wasm', '-threads.wasm') : WASM_FILES[isa];
}

/**
 * A module with one function `() -> v128` whose body is `body`: header, type, function and
 * code sections (https://webassembly.github.io/spec/core/binary/modules.html).
 */
function probe(body: number[]): Uint8Array<ArrayBuffer> {
  const code = [0x00, ...body, 0x0b];          // no locals, the instructions, end
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,       // type section: [] -> [v128]
    0x03, 0x02, 0x01, 0x00,                         // function section: one function of type 0
    0x0a, code.length + 2, 0x01, code.length, ...code, // code section: one body
  ]);
}
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
/** The instruction each build needs that the other does not have. */
export const PROBES: Record<Isa, Uint8Array<ArrayBuffer>> = {
  'simd': probe(V128_ZERO),
  // three operands, then f32x4.relaxed_madd (prefix 0xfd, opcode 0x105 as LEB128: 0x85 0x02)
  'relaxed-simd': probe([...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 0xfd, 0x85, 0x02]),
};

const cache = new Map<Isa, boolean>();

/** Whether this runtime can run the given build. */
export function isaSupported(isa: Isa): boolean {
  let ok = cache.get(isa);
  if (ok === undefined) {
    ok = typeof WebAssembly === 'object' && WebAssembly.validate(PROBES[isa]);
    cache.set(isa, ok);
  }
  return ok;
}

/** The builds this runtime can run, best first. */
export function supportedIsas(): Isa[] {
  return (['relaxed-simd', 'simd'] as Isa[]).filter(isaSupported);
}

export const RELAXED_HINT = 'Node 20 runs it only with --experimental-wasm-relaxed-simd (the descent command adds it itself); Node ≥ 22, Deno, Bun and Chromium have it on';

/** The build to load and why it was chosen (backend().reason). */
export function chooseIsa(requested: Isa | 'auto' = 'auto', embedded: Isa[] = []): { isa: Isa; reason: string } {
  if (requested === 'auto' && embedded.length) {
    const best = supportedIsas().find((i) => embedded.includes(i));
    if (best) return { isa: best, reason: `auto: the bundle embeds the ${best} build only (pass { wasm } or { module } for another)` };
  }
  if (requested === 'auto') {
    const best = supportedIsas()[0];
    if (!best) {
      throw new DescentError('descent needs WebAssembly with SIMD (Node ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4); this runtime has none');
    }
    return {
      isa: best,
      reason: best === 'relaxed-simd'
        ? 'auto: this runtime validates relaxed SIMD (fused multiply-add)'
        : `auto: this runtime lacks relaxed SIMD, so plain SIMD (${RELAXED_HINT})`,
    };
  }
  if (requested !== 'simd' && requested !== 'relaxed-simd') {
    throw new DescentError(`init: unknown isa ${JSON.stringify(requested)}; expected 'auto', 'simd' or 'relaxed-simd'`);
  }
  if (!isaSupported(requested)) {
    const hint = requested === 'relaxed-simd' ? ` (${RELAXED_HINT})` : '';
    throw new DescentError(`init: this runtime cannot run the ${requested} build${hint}`);
  }
  return { isa: requested, reason: `init({ isa: '${requested}' })` };
}
