import { describe, expect, it } from 'vitest';
import { quadratic } from '../src/problems/classic.js';
import { lanczos, powerIteration, tridiagonalEigenvalues } from '../src/diagnostics/hessian-spectrum.js';
import { Model } from '../src/nn/model.js';
import type { Objective } from '../src/minimize/objective.js';
import { isas, engineFor } from './engines.js';
import { randomF32, rng } from './reference.js';

const LOG = process.env.DESCENT_DIAG_LOG === '1';
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Eigenvalues of a symmetric n×n matrix (row-major, overwritten) by cyclic Jacobi rotations, ascending. */
function jacobiEigenvalues(A: Float64Array, n: number): number[] {
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) { // columns p, q
          const akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq; A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) { // rows p, q
          const apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk; A[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => A[i * n + i]).sort((a, b) => a - b);
}

describe('Hessian spectrum on quadratics with known eigenvalues', () => {
  for (const rotated of [false, true]) {
    const p = quadratic({ n: 40, condition: 100, rotated, seed: 3 });
    const x = new Float64Array(40).fill(0.3);
    it(`power iteration finds λmax = κ (${rotated ? 'rotated' : 'diagonal'})`, () => {
      const r = powerIteration(p.objective, x, { iterations: 500, tol: 1e-13 });
      if (LOG) console.log(`power ${rotated}: λ ${r.eigenvalue} after ${r.iterations}, rel ${rel(r.eigenvalue, 100).toExponential(2)}`);
      expect(r.converged).toBe(true);
      expect(rel(r.eigenvalue, 100)).toBeLessThan(1e-6);
      // the vector is the top eigenvector: ‖Hv − λv‖ small
      const hv = new Float64Array(40);
      p.objective.hessianVector(x, r.vector, hv);
      let res = 0;
      for (let i = 0; i < 40; i++) res += (hv[i] - r.eigenvalue * r.vector[i]) ** 2;
      expect(Math.sqrt(res)).toBeLessThan(1e-2);
    });
    it(`Lanczos finds λmin = 1, λmax = κ and κ (${rotated ? 'rotated' : 'diagonal'})`, () => {
      const r = lanczos(p.objective, x, { steps: 24 });
      if (LOG) console.log(`lanczos ${rotated} k=24: min ${r.min} (rel ${rel(r.min, 1).toExponential(2)}), max ${r.max} (rel ${rel(r.max, 100).toExponential(2)}), κ ${r.condition}`);
      expect(r.steps).toBe(24);
      expect(rel(r.max, 100)).toBeLessThan(1e-6);
      // the low end is clustered (λ₁ − λ₀ = 0.12 of a span of 99): fewer steps than n leave λmin
      // above 1, never below (Ritz values lie inside the spectrum)
      expect(r.min).toBeGreaterThanOrEqual(1 - 1e-12);
      expect(r.min).toBeLessThan(1.1);
      // n steps: every eigenvalue, and the exact condition number
      const all = lanczos(p.objective, x, { steps: 40 });
      if (LOG) console.log(`lanczos ${rotated} k=40: min rel ${rel(all.min, 1).toExponential(2)}, max rel ${rel(all.max, 100).toExponential(2)}, κ rel ${rel(all.condition, 100).toExponential(2)}`);
      expect(rel(all.min, 1)).toBeLessThan(1e-6);
      expect(rel(all.condition, 100)).toBeLessThan(1e-6);
      for (let i = 0; i < 40; i++) expect(rel(all.ritzValues[i], p.eigenvalues[i])).toBeLessThan(1e-9);
    });
  }

  it('an invariant subspace stops Lanczos early with exact values; indefinite H keeps its sign', () => {
    const lam = [-3, 2, 2, 5];
    const obj: Objective = {
      n: 4, value: () => 0,
      hessianVector: (_x, v, out) => { for (let i = 0; i < 4; i++) out[i] = lam[i] * v[i]; },
    };
    const r = lanczos(obj, new Float64Array(4), { steps: 4 });
    expect(r.steps).toBe(3); // three distinct eigenvalues
    expect(Array.from(r.ritzValues).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([-3, 2, 5]);
    expect(r.condition).toBeNaN();
    expect(powerIteration(obj, new Float64Array(4), { iterations: 1000 }).eigenvalue).toBeCloseTo(5, 8);
    lam[0] = -7;
    expect(powerIteration(obj, new Float64Array(4), { iterations: 1000 }).eigenvalue).toBeCloseTo(-7, 8);
  });

  it('tridiagonal bisection agrees with the closed form of the 1-D Laplacian', () => {
    const k = 17;
    const ev = tridiagonalEigenvalues(new Float64Array(k).fill(2), new Float64Array(k - 1).fill(-1));
    for (let j = 0; j < k; j++) expect(Math.abs(ev[j] - (2 - 2 * Math.cos(((j + 1) * Math.PI) / (k + 1))))).toBeLessThan(1e-13);
  });

  it('names missing Hessian-vector products and bad options', () => {
    const obj: Objective = { n: 2, value: () => 0 };
    expect(() => powerIteration(obj, new Float64Array(2))).toThrow(/hessianVector/);
    const p = quadratic({ n: 3, condition: 2 });
    expect(() => lanczos(p.objective, new Float64Array(3), { steps: 4 })).toThrow(/steps 4 exceeds n = 3/);
    expect(() => lanczos(p.objective, new Float64Array(2))).toThrow(/length n = 3/);
    expect(() => powerIteration(p.objective, new Float64Array(3), { iterations: 0 })).toThrow(/iterations/);
  });
});

for (const isa of isas) {
  describe(`Hessian spectrum of a small network ${isa}`, () => {
    it('power iteration and Lanczos agree with the dense Hessian of a tanh MLP loss (indefinite)', () => {
      const e = engineFor(isa);
      const model = new Model(e, { inputs: 4, layers: [{ units: 6, activation: 'tanh' }, { units: 3 }], loss: 'softmax-cross-entropy', seed: 2 });
      const n = 40, r = rng(5);
      const data = { x: randomF32(n * 4, 9), n, features: 4, labels: Int32Array.from({ length: n }, () => Math.floor(r() * 3)), classes: 3 };
      const obj = model.objective(data);
      const x = Float64Array.from(model.parameters().data);
      const p = powerIteration(obj, x, { iterations: 300, tol: 1e-6 });
      const l = lanczos(obj, x, { steps: 20 });
      if (LOG) console.log(`${isa} network (${obj.n} params): power λ ${p.eigenvalue} (${p.iterations} it), lanczos [${l.min}, ${l.max}], rel ${rel(l.max, p.eigenvalue).toExponential(2)}`);
      expect(p.eigenvalue).toBeGreaterThan(0);
      expect(rel(l.max, p.eigenvalue)).toBeLessThan(1e-2);
      expect(l.min).toBeLessThan(l.max);
      // against the dense Hessian: H·eᵢ column by column, symmetrized, eigenvalues by Jacobi
      const m = obj.n, H = new Float64Array(m * m), col = new Float64Array(m), ei = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        ei.fill(0); ei[i] = 1;
        obj.hessianVector!(x, ei, col);
        for (let j = 0; j < m; j++) H[j * m + i] = col[j];
      }
      let asym = 0, hmax = 0;
      for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) {
        asym = Math.max(asym, Math.abs(H[i * m + j] - H[j * m + i]));
        hmax = Math.max(hmax, Math.abs(H[i * m + j]));
        H[i * m + j] = H[j * m + i] = 0.5 * (H[i * m + j] + H[j * m + i]);
      }
      const ev = jacobiEigenvalues(H, m);
      const full = lanczos(obj, x, { steps: m });
      if (LOG) console.log(`${isa} dense: [${ev[0]}, ${ev[m - 1]}], asymmetry ${asym.toExponential(1)} of ${hmax.toExponential(1)}; Lanczos k=20 max rel ${rel(l.max, ev[m - 1]).toExponential(2)}, k=${m} min rel ${rel(full.min, ev[0]).toExponential(2)}`);
      expect(rel(l.max, ev[m - 1])).toBeLessThan(1e-3);
      expect(rel(p.eigenvalue, ev[m - 1])).toBeLessThan(1e-3);
      expect(rel(full.min, ev[0])).toBeLessThan(5e-3);
      model.release();
    });
  });
}
