// The engines a test file runs against: every ISA this runtime supports.
// The "node-relaxed" vitest project sets DESCENT_EXPECT_RELAXED=1 and passes
// --experimental-wasm-relaxed-simd, so relaxed SIMD must be among them there.
import { Engine } from '../src/engine/engine.js';
import { supportedIsas, type Isa } from '../src/engine/isa.js';

export const isas: Isa[] = supportedIsas();

export function engineFor(isa: Isa, tile: 4 | 5 | 6 = 4): Engine {
  return Engine.createSync({ isa, gemmTile: tile });
}
