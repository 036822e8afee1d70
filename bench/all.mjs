// npm run bench [-- --json …]: every benchmark, each in its own process with the same flags.
// Every row says how many threads it ran on: GEMM and MLP training/inference run at 1 and 2
// threads, optimizer updates and L-BFGS at 1 (pass --threads 1,2 — or any list — to run every
// bench at those counts instead). The side-by-side threads comparison with PyTorch, in
// interleaved rounds, is bench/threads.mjs (npm run bench:threads).
import { spawnSync } from 'node:child_process';
const args = process.argv.slice(2);
const given = args.includes('--threads');
let code = 0;
for (const [script, threads] of [['gemm.mjs', '1,2'], ['mlp.mjs', '1,2'], ['optim.mjs', '1'], ['lbfgs.mjs', '1']]) {
  const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', new URL(script, import.meta.url).pathname, ...args, ...(given ? [] : ['--threads', threads])], { stdio: 'inherit' });
  code ||= r.status ?? 1;
}
process.exitCode = code;
