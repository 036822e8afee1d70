// The typed table of functions exported by the wasm modules (assembly/index.ts).
// Pointers are byte offsets into linear memory; sizes are element counts.

export interface Kernels {
  isRelaxed(): number;
  heapBase(): number;
  gemm(tile: number, transA: number, transB: number, m: number, n: number, k: number,
       alpha: number, a: number, lda: number, b: number, ldb: number,
       beta: number, c: number, ldc: number, bias: number, work: number): void;
  gemmWorkspaceBytes(): number;
  gemmSetBlocking(mc: number, kc: number, nc: number): void;
  packA(mr: number, transA: number, a: number, lda: number, ic: number, mc: number, pc: number, kc: number, dst: number): void;
  packB(transB: number, b: number, ldb: number, pc: number, kc: number, jc: number, nc: number, dst: number): void;
  dot(n: number, x: number, y: number): number;
  sum(n: number, x: number): number;
  nrm2(n: number, x: number): number;
  axpy(n: number, a: number, x: number, y: number): void;
  scal(n: number, a: number, x: number): void;
  scale(n: number, a: number, x: number, out: number): void;
  add(n: number, x: number, y: number, out: number): void;
  mul(n: number, x: number, y: number, out: number): void;
  fill(n: number, v: number, x: number): void;
  copy(n: number, src: number, dst: number): void;
  peak(iterations: number, seed: number): number;
  peakFlopsPerIteration(): number;
}
