// descentjs/embedded: the whole API with the plain-SIMD module inside the bundle, for apps that
// must be one file and cannot serve or import a .wasm (some bundlers, single-file notebooks).
// init() without a module then compiles these bytes. It carries one build only — plain SIMD,
// which every SIMD runtime runs; relaxed SIMD (~20–30% faster training) needs the file
// descentjs/wasm/relaxed-simd.wasm passed as init({ wasm }) or init({ module }).
// The package builds this file as the bytes plus imports of dist/browser/index.js (not a second
// copy of the library; scripts/build.mjs keeps './index.js' external).

import simdBytes from '../wasm/simd.wasm';
import { registerWasm } from './index.js';

registerWasm('simd', simdBytes);

export * from './index.js';
