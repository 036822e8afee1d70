// npm run bench [-- --json …]: every benchmark, each in its own process with the same flags.
import { spawnSync } from 'node:child_process';
const args = process.argv.slice(2);
let code = 0;
for (const script of ['gemm.mjs', 'mlp.mjs', 'optim.mjs', 'lbfgs.mjs']) {
  const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', new URL(script, import.meta.url).pathname, ...args], { stdio: 'inherit' });
  code ||= r.status ?? 1;
}
process.exitCode = code;
