// Where the wasm module comes from, and compiling it.
//
// No bundle embeds the wasm by default. A user may hand init() the module in any form:
//   init({ module })  a compiled WebAssembly.Module — what `import wasm from './x.wasm'` gives on
//                     Cloudflare Workers and Vercel Edge, which forbid compiling at run time
//   init({ wasm })    bytes (ArrayBuffer or a view), a Response or a promise of one (compiled
//                     while it downloads where the runtime streams), or a URL / URL string
// Without either, init() loads the package's own file, wasm/<build>.wasm, relative to the
// bundle (import.meta.url): read from disk where the runtime has node:fs (Node, Deno, Bun),
// fetched otherwise (browsers, CDNs, bundlers that copy assets referenced by
// `new URL(…, import.meta.url)` such as Vite and webpack). The `descentjs/embedded` entry
// registers the plain-SIMD bytes instead, for bundles that must be a single file.
// Nothing here touches a global at module load (edge runtimes may lack `process`).

import { DescentError, show } from './errors.js';
import { wasmFile, type Isa } from './isa.js';

/** What init({ wasm }) accepts. */
export type WasmBytesSource = ArrayBuffer | ArrayBufferView | Response | PromiseLike<Response> | URL | string;

/** How the module was obtained (backend().source). */
export type WasmOrigin = 'module' | 'bytes' | 'response' | 'url' | 'file' | 'embedded';

// The CLI bundle (dist/cli.js, one folder up from the others) sets this through esbuild's define;
// everywhere else the literal URLs below apply: from src/engine/ (tests run the sources) and from
// dist/<entry>/ alike the files are ../../wasm/. They stay literal `new URL('…', import.meta.url)`
// expressions in the bundle, the form that Vite and webpack recognize and copy into a build.
declare const __DESCENT_WASM_DIR__: string | undefined;

const embedded = new Map<Isa, Uint8Array<ArrayBuffer>>();

/** Make `bytes` the default module of `isa` when init() is given none (the embedded entry). */
export function registerEmbedded(isa: Isa, bytes: Uint8Array<ArrayBuffer>): void {
  embedded.set(isa, bytes);
}

/** The builds that have embedded bytes registered. */
export function embeddedIsas(): Isa[] {
  return [...embedded.keys()];
}

/** URL of the package's own module file for `isa` (shared: the threads build). */
export function defaultWasmUrl(isa: Isa, shared = false): URL {
  try {
    if (typeof __DESCENT_WASM_DIR__ === 'string') return new URL(__DESCENT_WASM_DIR__ + wasmFile(isa, shared), import.meta.url);
    if (shared) {
      return isa === 'simd' ? new URL('../../wasm/simd-threads.wasm', import.meta.url) : new URL('../../wasm/relaxed-simd-threads.wasm', import.meta.url);
    }
    return isa === 'simd' ? new URL('../../wasm/simd.wasm', import.meta.url) : new URL('../../wasm/relaxed-simd.wasm', import.meta.url);
  } catch (e) {
    throw new DescentError(`init: cannot locate wasm/${wasmFile(isa, shared)} (import.meta.url is ${show(import.meta.url)}: ${(e as Error).message}). ${PASS_IT}`);
  }
}

const PASS_IT = 'Pass the module yourself: on Cloudflare Workers or Vercel Edge `import wasm from \'descentjs/wasm/relaxed-simd.wasm\'` and `await init({ module: wasm })`; elsewhere `init({ wasm: bytesOrUrl })`, or import \'descentjs/embedded\' (plain SIMD inside the bundle)';

type NodeFs = { readFileSync(path: URL): Uint8Array; promises?: { readFile(path: URL): Promise<Uint8Array> } };

/** node:fs where the runtime offers it without an import statement (Node ≥ 20.16, Deno, Bun). */
function builtinFs(): NodeFs | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return undefined;
  try {
    return proc.getBuiltinModule('node:fs') as NodeFs | undefined;
  } catch {
    return undefined;
  }
}

function isBytes(x: unknown): x is ArrayBuffer | ArrayBufferView {
  return x instanceof ArrayBuffer || ArrayBuffer.isView(x)
    || (typeof SharedArrayBuffer === 'function' && x instanceof SharedArrayBuffer);
}

function isResponse(x: unknown): x is Response {
  return typeof Response === 'function' && x instanceof Response;
}

function disallowed(e: unknown): boolean {
  return /disallowed|code generation|not allowed|CompileError: WebAssembly\.Module\(\): Wasm code generation/i.test(String((e as Error)?.message ?? e));
}

function compileError(e: unknown, what: string): DescentError {
  const msg = (e as Error)?.message ?? String(e);
  if (disallowed(e)) {
    return new DescentError(`init: this runtime forbids compiling wasm at run time (${msg}). ${PASS_IT}`);
  }
  return new DescentError(`init: cannot compile ${what}: ${msg}`);
}

async function compileBytes(bytes: ArrayBuffer | ArrayBufferView, what: string): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as BufferSource);
  } catch (e) {
    throw compileError(e, what);
  }
}

async function compileResponse(response: Response, what: string): Promise<WebAssembly.Module> {
  if (!response.ok) throw new DescentError(`init: cannot load ${what}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  const type = response.headers.get('content-type') ?? '';
  if (typeof WebAssembly.compileStreaming === 'function' && /^application\/wasm\b/i.test(type)) {
    try {
      return await WebAssembly.compileStreaming(response);
    } catch (e) {
      throw compileError(e, what);
    }
  }
  return compileBytes(await response.arrayBuffer(), what); // servers that send another type
}

async function readUrl(url: URL, what: string): Promise<{ module: WebAssembly.Module; origin: WasmOrigin }> {
  if (url.protocol === 'file:') {
    let bytes: Uint8Array | undefined;
    try {
      const fs = builtinFs();
      if (fs) bytes = fs.readFileSync(url);
      else {
        const spec = 'node:fs/promises'; // not a literal: bundlers for the web leave it alone
        const fsp = await import(/* @vite-ignore */ spec).catch(() => undefined) as { readFile(u: URL): Promise<Uint8Array> } | undefined;
        if (fsp) bytes = await fsp.readFile(url);
      }
    } catch (e) {
      throw new DescentError(`init: cannot read ${what} (${url.href}): ${(e as Error).message}. ${PASS_IT}`);
    }
    if (bytes) return { module: await compileBytes(bytes, what), origin: 'file' };
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new DescentError(`init: cannot fetch ${what} from ${url.href}: ${(e as Error).message}. ${PASS_IT}`);
  }
  return { module: await compileResponse(response, `${what} (${url.href})`), origin: 'url' };
}

/** Compile what the user passed as init({ wasm }). */
export async function compileSource(source: WasmBytesSource): Promise<{ module: WebAssembly.Module; origin: WasmOrigin }> {
  if (isBytes(source)) return { module: await compileBytes(source, 'the wasm bytes passed to init()'), origin: 'bytes' };
  if (typeof source === 'string' || source instanceof URL) {
    let url: URL;
    try {
      url = new URL(source, typeof location === 'object' && location ? location.href : import.meta.url);
    } catch {
      throw new DescentError(`init: wasm ${JSON.stringify(String(source))} is not a URL`);
    }
    return readUrl(url, 'the wasm module');
  }
  if (isResponse(source)) return { module: await compileResponse(source, 'the wasm Response passed to init()'), origin: 'response' };
  if (source !== null && typeof source === 'object' && typeof (source as PromiseLike<Response>).then === 'function') {
    const response = await source;
    if (!isResponse(response)) throw new DescentError('init: the promise passed as wasm did not resolve to a Response');
    return { module: await compileResponse(response, 'the wasm Response passed to init()'), origin: 'response' };
  }
  throw new DescentError(`init: wasm must be bytes (ArrayBuffer or a view), a Response, a promise of one, or a URL; got ${source === null ? 'null' : typeof source}`);
}

/** The package's own module for `isa`: the embedded bytes if registered, else its file. */
export async function compileDefault(isa: Isa, shared = false): Promise<{ module: WebAssembly.Module; origin: WasmOrigin }> {
  const bytes = shared ? undefined : embedded.get(isa);
  if (bytes) return { module: await compileBytes(bytes, `the embedded ${isa} module`), origin: 'embedded' };
  return readUrl(defaultWasmUrl(isa, shared), `wasm/${wasmFile(isa, shared)}`);
}

/** Synchronous compileSource/compileDefault: bytes, embedded bytes, or a file on disk. */
export function compileSync(isa: Isa, source: WasmBytesSource | undefined, shared = false): { module: WebAssembly.Module; origin: WasmOrigin } {
  const compile = (bytes: ArrayBuffer | ArrayBufferView, what: string): WebAssembly.Module => {
    try {
      return new WebAssembly.Module(bytes as BufferSource);
    } catch (e) {
      throw compileError(e, what);
    }
  };
  if (source !== undefined) {
    if (isBytes(source)) return { module: compile(source, 'the wasm bytes passed to createEngineSync()'), origin: 'bytes' };
    throw new DescentError('createEngineSync: wasm must be bytes here (a URL or Response needs the asynchronous init()/createEngine())');
  }
  const bytes = shared ? undefined : embedded.get(isa);
  if (bytes) return { module: compile(bytes, `the embedded ${isa} module`), origin: 'embedded' };
  const url = defaultWasmUrl(isa, shared);
  const fs = url.protocol === 'file:' ? builtinFs() : undefined;
  if (!fs) {
    throw new DescentError(`createEngineSync: cannot read ${url.href} synchronously in this runtime; use \`await init()\` / \`await createEngine()\`, or pass { module } or { wasm: bytes }`);
  }
  let file: Uint8Array;
  try {
    file = fs.readFileSync(url);
  } catch (e) {
    throw new DescentError(`createEngineSync: cannot read ${url.href}: ${(e as Error).message}. ${PASS_IT}`);
  }
  return { module: compile(file, `wasm/${wasmFile(isa, shared)}`), origin: 'file' };
}

/** Check that a module is one of ours before instantiating it (names, not a version number). */
export function checkModule(module: unknown, op: string): WebAssembly.Module {
  if (!(module instanceof WebAssembly.Module)) {
    throw new DescentError(`${op}: module must be a WebAssembly.Module (for bytes, a Response or a URL use { wasm }), got ${module === null ? 'null' : typeof module}`);
  }
  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
  const missing = ['isRelaxed', 'heapBase', 'gemm', 'optAdam'].filter((n) => !exports.has(n));
  if (missing.length || !imports.includes('env.memory')) {
    throw new DescentError(`${op}: this WebAssembly.Module is not a descent build (missing ${missing.length ? `exports ${missing.join(', ')}` : 'the env.memory import'}); use descentjs/wasm/simd.wasm or descentjs/wasm/relaxed-simd.wasm of the same version`);
  }
  return module;
}
