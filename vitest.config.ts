import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';

// Turn `import bytes from '*.wasm'` into the module's bytes, as esbuild's binary loader does
// for the bundles, so tests run the TypeScript sources against the built wasm.
const wasmBytes: Plugin = {
  name: 'descent-wasm-bytes',
  enforce: 'pre',
  load(id) {
    if (!id.endsWith('.wasm')) return null;
    const b64 = readFileSync(id).toString('base64');
    return `const s = atob(${JSON.stringify(b64)});
const u = new Uint8Array(s.length);
for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
export default u;`;
  },
};

export default defineConfig({
  plugins: [wasmBytes],
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['test/*.test.ts'], env: { DESCENT_EXPECT_RELAXED: '' } },
      },
      {
        // Node 20 runs relaxed SIMD only behind this V8 flag; Node ≥ 22 has it on.
        extends: true,
        test: {
          name: 'node-relaxed',
          include: ['test/*.test.ts'],
          // once is enough, in the 'node' project: the long MNIST run, the packed-package runtimes,
          // and the kill-during-write test (it exercises files, not the ISA)
          exclude: ['test/mnist.test.ts', 'test/pack.test.ts', 'test/atomic-write.test.ts'],
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { DESCENT_EXPECT_RELAXED: '1' },
        },
      },
      {
        extends: true,
        test: { name: 'browser', include: ['test/browser/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
      },
    ],
  },
});
