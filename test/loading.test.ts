import { describe, expect, it } from 'vitest';
import * as descent from '../src/index.js';
import { isaSupported, supportedIsas } from '../src/engine/isa.js';

describe('loading and ISA selection', () => {
  it('picks the best build the runtime validates, and reports it', async () => {
    const e = await descent.init();
    const b = descent.backend();
    expect(b.threads).toBe(1);
    expect(b.isa).toBe(supportedIsas()[0]);
    expect(b.isa).toBe(isaSupported('relaxed-simd') ? 'relaxed-simd' : 'simd');
    expect(e.kernels.isRelaxed()).toBe(b.isa === 'relaxed-simd' ? 1 : 0);
  });

  it('relaxed SIMD is available exactly where expected', () => {
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    const flagged = process.execArgv.includes('--experimental-wasm-relaxed-simd');
    expect(isaSupported('simd')).toBe(true);
    expect(isaSupported('relaxed-simd')).toBe(flagged || nodeMajor >= 22);
    if (process.env.DESCENT_EXPECT_RELAXED) expect(supportedIsas()).toEqual(['relaxed-simd', 'simd']);
  });

  it('the user can force either build', async () => {
    const plain = await descent.createEngine({ isa: 'simd' });
    expect(plain.backend().isa).toBe('simd');
    expect(plain.kernels.isRelaxed()).toBe(0);
    if (isaSupported('relaxed-simd')) {
      const relaxed = descent.createEngineSync({ isa: 'relaxed-simd' });
      expect(relaxed.backend().isa).toBe('relaxed-simd');
      expect(relaxed.kernels.isRelaxed()).toBe(1);
    } else {
      await expect(descent.createEngine({ isa: 'relaxed-simd' })).rejects.toThrow(/relaxed-simd.*experimental-wasm-relaxed-simd/);
    }
  });

  it('rejects unknown ISAs and options with a message naming them', async () => {
    await expect(descent.createEngine({ isa: 'avx512' as never })).rejects.toThrow(/unknown isa "avx512"/);
    await expect(descent.createEngine({ threds: 2 } as never)).rejects.toThrow(/unknown option "threds"/);
    await expect(descent.createEngine({ maxMemoryMB: 0 })).rejects.toThrow(/maxMemoryMB/);
    await expect(descent.createEngine({ gemmTile: 7 as never })).rejects.toThrow(/gemmTile must be 4, 5 or 6/);
  });

  it('the default engine must be initialized first, and module-level helpers use it', async () => {
    await descent.init({ isa: 'simd' });
    const t = descent.scope(() => descent.matmul(descent.tensor([1, 2], [3, 4]), descent.tensor([2, 1], [5, 6])));
    expect(Array.from(t.data)).toEqual([39]);
    expect(t.engine).toBe(descent.engine());
  });
});
