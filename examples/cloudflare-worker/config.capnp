# workerd configuration for worker.js: `npx workerd serve config.capnp config` (http://localhost:8787),
# or `npx workerd serve config.capnp legacy` for the same Worker at compatibility date 2024-09-23,
# which has no FinalizationRegistry.
#
# The paths are relative to this file: the app's node_modules two folders up (this folder is
# examples/cloudflare-worker/ of an app where `npm install descentjs` ran). Module names are
# what the Worker imports: a module of type `wasm` arrives as a compiled WebAssembly.Module
# (for plain SIMD, import and embed descentjs/wasm/simd.wasm instead). Pick another port
# with `-s http=127.0.0.1:9000`.

using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .digitsWorker)],
  sockets = [(name = "http", address = "*:8787", http = (), service = "main")],
);

const legacy :Workerd.Config = (
  services = [(name = "main", worker = .legacyWorker)],
  sockets = [(name = "http", address = "*:8787", http = (), service = "main")],
);

const digitsWorker :Workerd.Worker = (
  modules = .modules,
  compatibilityDate = "2026-11-23",
);

const legacyWorker :Workerd.Worker = (
  modules = .modules,
  compatibilityDate = "2024-09-23",
);

const modules :List(Workerd.Worker.Module) = [
  (name = "worker.js", esModule = embed "worker.js"),
  (name = "descentjs", esModule = embed "../../node_modules/descentjs/dist/browser/index.js"),
  (name = "descentjs/wasm/relaxed-simd.wasm", wasm = embed "../../node_modules/descentjs/wasm/relaxed-simd.wasm"),
];
