import { describe, expect, it } from 'vitest';
import * as descent from '../src/index.js';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isaSupported, supportedIsas, PROBES, type Isa } from '../src/engine/isa.js';

const wasmFile = (isa: Isa) => new URL(`../wasm/${isa}.wasm`, import.meta.url);
const wasmBytes = (isa: Isa) => new Uint8Array(readFileSync(wasmFile(isa)));

/** A digits training of a few epochs: the same bits whatever way the module was loaded. */
function trainBits(e: descent.Engine): Uint32Array {
  const { train } = descent.trainTestSplit(descent.digits(), { testFraction: 0.2, seed: 1 });
  const m = new descent.Model(e, { inputs: 64, loss: 'softmax-cross-entropy', seed: 3, layers: [{ units: 16, activation: 'tanh' }, { units: 10 }] });
  descent.fit(m, train, { epochs: 2, batchSize: 32, lr: 0.1, seed: 2 });
  return new Uint32Array(m.parameters().toArray().buffer);
}

describe('loading and ISA selection', () => {
  it('picks the best build the runtime validates, and reports it', async () => {
    const e = await descent.init();
    const b = descent.backend();
    const cores = availableParallelism(); // Node: threads by default, as many as cores, at most 8
    expect(b.threads).toBe(Math.min(cores, 8));
    expect(b.threadsReason).toMatch(new RegExp(`^auto: ${cores} cores? reported`));
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

  it('the probes (under 100 bytes) agree with validating the real modules', () => {
    for (const isa of ['simd', 'relaxed-simd'] as Isa[]) {
      expect(PROBES[isa].length).toBeLessThan(100);
      expect(WebAssembly.validate(PROBES[isa])).toBe(WebAssembly.validate(wasmBytes(isa)));
    }
    // the relaxed probe really needs the feature: plain SIMD alone does not validate it here
    if (!isaSupported('relaxed-simd')) expect(WebAssembly.validate(PROBES['relaxed-simd'])).toBe(false);
  });

  it('backend() says which build, why, and where the module came from', async () => {
    const e = await descent.createEngine();
    const b = e.backend();
    expect(b.source).toBe('file');
    expect(b.gcCleanup).toBe(true);
    expect(b.reason).toMatch(b.isa === 'relaxed-simd' ? /auto: this runtime validates relaxed SIMD/ : /auto: this runtime lacks relaxed SIMD.*experimental-wasm-relaxed-simd/);
    expect((await descent.createEngine({ isa: 'simd' })).backend().reason).toBe("init({ isa: 'simd' })");
  });

  it('init({ module }) takes a compiled module (edge runtimes) and runs its build, bit for bit like the default', async () => {
    const module = new WebAssembly.Module(wasmBytes('simd'));
    const e = await descent.createEngine({ module });
    expect(e.backend()).toMatchObject({ isa: 'simd', source: 'module' });
    expect(e.backend().reason).toMatch(/module passed to init\(\) is the simd build/);
    expect(trainBits(e)).toEqual(trainBits(await descent.createEngine({ isa: 'simd' })));
    expect(descent.createEngineSync({ module }).backend().isa).toBe('simd');
    await expect(descent.createEngine({ module, isa: 'relaxed-simd' })).rejects.toThrow(/module passed is the simd build, but isa 'relaxed-simd'/);
    if (isaSupported('relaxed-simd')) {
      const relaxed = await descent.createEngine({ module: new WebAssembly.Module(wasmBytes('relaxed-simd')) });
      expect(relaxed.backend().isa).toBe('relaxed-simd');
      expect(relaxed.kernels.isRelaxed()).toBe(1);
    }
  });

  it('init({ wasm }) takes bytes, a file URL, a Response, a promise of one, and an http URL (streaming)', async () => {
    const bytes = wasmBytes('simd');
    expect((await descent.createEngine({ wasm: bytes })).backend()).toMatchObject({ isa: 'simd', source: 'bytes' });
    expect((await descent.createEngine({ wasm: bytes.buffer })).backend().source).toBe('bytes');
    expect(descent.createEngineSync({ wasm: bytes }).backend().source).toBe('bytes');
    expect((await descent.createEngine({ wasm: wasmFile('simd') })).backend().source).toBe('file');
    expect((await descent.createEngine({ wasm: wasmFile('simd').href })).backend().source).toBe('file');
    const headers = { 'content-type': 'application/wasm' };
    expect((await descent.createEngine({ wasm: new Response(bytes, { headers }) })).backend().source).toBe('response');
    expect((await descent.createEngine({ wasm: Promise.resolve(new Response(bytes)) })).backend().source).toBe('response');
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      if (req.url === '/simd.wasm') { res.writeHead(200, headers); res.end(bytes); } else { res.writeHead(404); res.end(); }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const e = await descent.createEngine({ wasm: `${base}/simd.wasm` });
      expect(e.backend()).toMatchObject({ isa: 'simd', source: 'url' });
      expect(trainBits(e)).toEqual(trainBits(descent.createEngineSync({ isa: 'simd' })));
      await expect(descent.createEngine({ wasm: `${base}/missing.wasm` })).rejects.toThrow(/cannot load .*HTTP 404/);
      expect(requests).toBe(2);
    } finally {
      server.close();
    }
  });

  it('refuses what is not a descent module, with a message saying what to pass', async () => {
    await expect(descent.createEngine({ module: new WebAssembly.Module(PROBES.simd) })).rejects.toThrow(/not a descent build \(missing exports isRelaxed/);
    await expect(descent.createEngine({ module: wasmBytes('simd') as never })).rejects.toThrow(/module must be a WebAssembly.Module \(for bytes, a Response or a URL use \{ wasm \}\)/);
    await expect(descent.createEngine({ wasm: new Uint8Array([1, 2, 3]) })).rejects.toThrow(/cannot compile the wasm bytes passed to init\(\)/);
    await expect(descent.createEngine({ wasm: 42 as never })).rejects.toThrow(/wasm must be bytes .* got number/);
    await expect(descent.createEngine({ wasm: new URL('file:///nonexistent/x.wasm') })).rejects.toThrow(/cannot read the wasm module .*nonexistent.*init\(\{ module: wasm \}\)/);
    await expect(descent.createEngine({ module: new WebAssembly.Module(wasmBytes('simd')), wasm: wasmBytes('simd') })).rejects.toThrow(/give module or wasm, not both/);
    expect(() => descent.createEngineSync({ wasm: 'https://example.com/x.wasm' })).toThrow(/must be bytes here/);
    // options are checked before anything is compiled: a bad size with a bad source names the size
    await expect(descent.createEngine({ wasm: 42 as never, maxMemoryMB: -1 })).rejects.toThrow(/maxMemoryMB/);
  });

  it('the bundles carry no wasm; descentjs/embedded carries the plain-SIMD build only and uses it', async () => {
    const root = new URL('../', import.meta.url);
    const base64 = (isa: Isa) => Buffer.from(wasmBytes(isa)).toString('base64').slice(0, 200);
    for (const f of ['dist/node/index.js', 'dist/browser/index.js', 'dist/cli.js']) {
      const text = readFileSync(new URL(f, root), 'utf8');
      expect(text.includes('AGFzbQ'), f).toBe(false); // "\0asm" in base64
      expect(text.includes('sourceMappingURL'), f).toBe(false);
    }
    const embedded = readFileSync(new URL('dist/embedded/index.js', root), 'utf8');
    expect(embedded.split('AGFzbQ').length - 1).toBe(1);
    expect(embedded.includes(base64('simd'))).toBe(true);
    const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => a.startsWith('--experimental-wasm')), '--input-type=module', '-e', `
      import * as d from ${JSON.stringify(new URL('dist/embedded/index.js', root).href)};
      await d.init(); console.log(JSON.stringify(d.backend()));`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ isa: 'simd', source: 'embedded' });
    expect(JSON.parse(r.stdout).reason).toMatch(/embeds the simd build only/);
  });

  it('apps bundled with esbuild carry no wasm build (embedded: exactly one)', () => {
    const r = spawnSync(process.execPath, [new URL('../scripts/bundle-sizes.mjs', import.meta.url).pathname, '--json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const rows = JSON.parse(r.stdout) as { app: string; inlineBuilds: number; wasmFile: number }[];
    expect(rows.map((x) => [x.app, x.inlineBuilds])).toEqual([['training', 0], ['inference', 0], ['inference, embedded', 1]]);
    for (const x of rows) expect(x.wasmFile > 10_000, x.app).toBe(x.inlineBuilds === 0); // a file to load, or bytes inside
  });

  it('loads and trains without FinalizationRegistry (workerd before 2025-05-05), and says so', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
      delete globalThis.FinalizationRegistry;
      const d = await import(${JSON.stringify(new URL('../dist/node/index.js', import.meta.url).href)});
      await d.init({ isa: 'simd' });
      const { train, test } = d.trainTestSplit(d.digits(), { testFraction: 0.2, seed: 1 });
      const m = new d.Model(d.engine(), { inputs: 64, loss: 'softmax-cross-entropy', seed: 1, layers: [{ units: 32, activation: 'tanh' }, { units: 10 }] });
      d.fit(m, train, { epochs: 3, lr: 0.1, optimizer: undefined });
      const opt = d.optimizer('adam', { lr: 0.003 });
      d.fit(m, train, { epochs: 2, optimizer: opt });
      console.log(JSON.stringify({ b: d.backend(), acc: d.evaluate(m, test).accuracy, t: Array.from(d.tensor([2], [1, 2]).toArray()) }));`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.b.gcCleanup).toBe(false);
    expect(out.acc).toBeGreaterThan(0.9);
    expect(out.t).toEqual([1, 2]);
  });
});
