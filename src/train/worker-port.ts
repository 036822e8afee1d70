// The thread under fitInWorker (worker.ts, worker-entry.ts): one small interface over the two
// kinds of worker a runtime offers, for both ends, and the messages they exchange.
//
//   runtime             the caller's end                              the worker's end
//   browsers, Deno, Bun globalThis.Worker, { type: 'module' }         globalThis.postMessage / 'message' events
//   Node                worker_threads.Worker (an ES module file URL) worker_threads.parentPort
//
// node:worker_threads is reached through process.getBuiltinModule (Node ≥ 20.16, Deno, Bun) or
// else a dynamic import whose specifier is not a literal, so the browser bundles carry no
// `node:` import and bundlers for the web leave them alone (as wasm-source.ts does for node:fs).

import { DescentError } from '../engine/errors.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import type { Dataset } from '../data/dataset.js';
import type { ModelSpec } from '../nn/model.js';
import type { EpochLogs, FitProgress, History } from './fit.js';

// ---- messages ---------------------------------------------------------------------------

/** Index of the abort flag in the shared control array (an Int32Array over a SharedArrayBuffer). */
export const ABORT_FLAG = 0;

/** The caller → the worker, first and once: everything the worker trains with (typed arrays transferred). */
export interface StartMessage {
  type: 'start';
  module: WebAssembly.Module;
  gemmTile: 4 | 5 | 6;
  /** The caller's engine's thread count: the worker's engine computes on as many (results are the same for any). */
  threads: number;
  spec: ModelSpec;
  params: Float32Array;
  /** Batch norm's running statistics, model.buffers() concatenated in order (empty without them). */
  state: Float32Array;
  passes: number;
  training: boolean;
  frozen: boolean;
  data: Dataset;
  validationData?: Dataset;
  /** The fit options that are plain data (epochs, batchSize, lr, seed, …). */
  options: Record<string, unknown>;
  optimizer?: unknown;
  /** Shared Int32Array memory for the abort flag, where the runtime can share memory. */
  control?: SharedArrayBuffer;
  /** The caller's signal was aborted before the call. */
  aborted: boolean;
  /** The caller has onEpochEnd (stochastic training waits for its answer) / onProgress. */
  epochs: boolean;
  progress: boolean;
  /** Stream every full-batch iteration's parameters (the caller may stop or abort at any of them). */
  streamIterates: boolean;
  returnOptimizerState: boolean;
}

/** The caller → the worker, any time. */
export type ControlMessage = { type: 'abort' } | { type: 'ack'; stop: boolean };

/** The worker → the caller. */
export type WorkerMessage =
  | { type: 'progress'; progress: FitProgress }
  /** An epoch's logs; `reply`: the worker waits for an ack. `params`: a full-batch iterate (streamIterates). */
  | { type: 'epoch'; logs: EpochLogs; reply: boolean; params?: Float32Array }
  | { type: 'done'; history: History; params: Float32Array; state: Float32Array; passes: number; training: boolean; optimizerState?: OptimizerStateDict }
  /** `history`: a NonFiniteError's (onNonFinite 'throw'), rebuilt on the caller's side. */
  | { type: 'error'; name: string; message: string; history?: History };

// ---- the two ends -----------------------------------------------------------------------

/** The caller's handle on a worker. */
export interface WorkerHandle {
  post(message: StartMessage | ControlMessage, transfer?: Transferable[]): void;
  /** Every message, and the worker's failure: its script did not load, threw uncaught, or exited. */
  listen(onMessage: (m: WorkerMessage) => void, onFailure: (e: Error) => void): void;
  /** Stop the thread; resolves when it is gone (Node) or at once (Web Workers end synchronously). */
  terminate(): Promise<void>;
}

/** The worker's end of the channel. */
export interface ParentChannel {
  post(message: WorkerMessage, transfer?: Transferable[]): void;
  listen(onMessage: (m: StartMessage | ControlMessage) => void): void;
}

interface NodeMessagePort {
  postMessage(value: unknown, transferList?: readonly unknown[]): void;
  on(event: 'message', fn: (value: unknown) => void): void;
}
interface NodeWorker extends NodeMessagePort {
  on(event: 'message' | 'error' | 'messageerror' | 'exit', fn: (value: never) => void): void;
  terminate(): Promise<number>;
}
interface WorkerThreads {
  Worker: new (url: URL) => NodeWorker;
  parentPort: NodeMessagePort | null;
}

/** node:worker_threads where the runtime has it (Node, Deno, Bun), else undefined. */
async function workerThreads(): Promise<WorkerThreads | undefined> {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } } }).process;
  if (typeof proc?.getBuiltinModule === 'function') {
    try {
      const wt = proc.getBuiltinModule('node:worker_threads') as WorkerThreads | undefined;
      if (wt) return wt;
    } catch { /* fall through to the import */ }
  }
  if (!proc?.versions?.node) return undefined;
  const spec = 'node:worker_threads'; // not a literal: bundlers for the web leave it alone
  return await import(/* @vite-ignore */ spec).catch(() => undefined) as WorkerThreads | undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String((e as { message?: unknown })?.message ?? e);
}

/** Start the worker script at `url`: a module Web Worker where the runtime has one, else a Node worker thread. */
export async function spawnWorker(url: URL, op: string): Promise<WorkerHandle> {
  const failed = (why: string) => new DescentError(`${op}: the worker script ${url.href} failed: ${why} (pass workerUrl where a bundler or a CDN moved train-worker.js)`);
  const Web = (globalThis as { Worker?: typeof Worker }).Worker;
  if (typeof Web === 'function') {
    let w: Worker;
    try {
      w = new Web(url, { type: 'module', name: 'descent fitInWorker' });
    } catch (e) {
      throw failed(messageOf(e));
    }
    return {
      post: (m, transfer = []) => w.postMessage(m, transfer),
      listen(onMessage, onFailure) {
        w.onmessage = (e) => onMessage(e.data as WorkerMessage);
        // a module that fails to load gives an error event without a message
        w.onerror = (e) => { e.preventDefault(); onFailure(failed(e.message || 'it did not load or run (missing, not JavaScript, or blocked)')); };
        w.onmessageerror = () => onFailure(new DescentError(`${op}: a message from the worker could not be deserialized`));
      },
      terminate: async () => w.terminate(),
    };
  }
  const wt = await workerThreads();
  if (!wt) throw new DescentError(`${op}: this runtime has neither a global Worker nor node:worker_threads`);
  let w: NodeWorker;
  try {
    w = new wt.Worker(url);
  } catch (e) {
    throw failed(messageOf(e));
  }
  let terminated = false;
  return {
    post: (m, transfer = []) => w.postMessage(m, transfer),
    listen(onMessage, onFailure) {
      w.on('message', (m: WorkerMessage) => onMessage(m));
      w.on('error', (e: Error) => onFailure(failed(e.message)));
      w.on('messageerror', () => onFailure(new DescentError(`${op}: a message from the worker could not be deserialized`)));
      w.on('exit', (code: number) => { if (!terminated) onFailure(failed(`it exited with code ${code} before sending a result`)); });
    },
    async terminate() {
      terminated = true;
      await w.terminate();
    },
  };
}

/** The worker's end: the global scope of a Web Worker, else Node's parentPort. */
export async function parentChannel(): Promise<ParentChannel> {
  const g = globalThis as unknown as { postMessage?: unknown; addEventListener?: unknown };
  if (typeof g.postMessage === 'function' && typeof g.addEventListener === 'function') {
    const scope = globalThis as unknown as {
      postMessage(m: unknown, transfer: Transferable[]): void;
      addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
    };
    return {
      post: (m, transfer = []) => scope.postMessage(m, transfer),
      listen: (onMessage) => scope.addEventListener('message', (e) => onMessage(e.data)),
    };
  }
  const port = (await workerThreads())?.parentPort;
  if (!port) throw new DescentError('train-worker.js: not running in a worker (no worker global scope, no worker_threads parentPort)');
  return {
    post: (m, transfer = []) => port.postMessage(m, transfer),
    listen: (onMessage) => port.on('message', (m) => onMessage(m as StartMessage | ControlMessage)),
  };
}
