// Shared by the update-rule tests: run a rule's fused f32 kernel and its f64 reference side by
// side on the same gradients, keeping both histories (parameters and every state buffer after
// each step), and check that the kernel never writes the gradient.
import { expect } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import type { Tensor } from '../src/engine/tensor.js';
import type { Rule, Scalars } from '../src/optim/rules.js';
import { bits } from './reference.js';

export interface Run { p: Float64Array[]; s: Record<string, Float64Array>[] }

/** Kernel (f32) and reference (f64) from p0 over `grads`; losses feed info.loss (iRprop+). */
export function runBoth<H extends object>(e: Engine, rule: Rule<H>, h: H, p0: ArrayLike<number>,
                                          grads: ArrayLike<number>[], losses?: number[]): { f32: Run; f64: Run } {
  const n = p0.length;
  const f32: Run = { p: [], s: [] }, f64: Run = { p: [], s: [] };
  e.scope(() => {
    const P = e.tensor([n], Float32Array.from(p0)), G = e.zeros([n]);
    const S: Record<string, Tensor> = {}, s64: Record<string, Float64Array> = {};
    for (const name of rule.stateNames.filter((s) => rule.uses(s, h))) {
      const v = Math.fround(rule.initState(name, h));
      S[name] = e.tensor([n], new Float32Array(n).fill(v));
      s64[name] = new Float64Array(n).fill(v);
    }
    const p64 = Float64Array.from(P.toArray());
    const sc32: Scalars = rule.initScalars(h), sc64: Scalars = rule.initScalars(h);
    grads.forEach((g, t) => {
      const g32 = Float32Array.from(g);
      G.data.set(g32);
      const info = losses ? { loss: losses[t] } : undefined;
      const c32 = rule.coefficients(t + 1, h, sc32, info), c64 = rule.coefficients(t + 1, h, sc64, info);
      const ptrs = Object.fromEntries(Object.entries(S).map(([k, v]) => [k, v.pointer()]));
      rule.kernel(e.kernels, n, P.pointer(), G.pointer(), ptrs, c32, h);
      rule.step64(p64, Float64Array.from(g32), s64, c64, h);
      expect(bits(G.toArray()), 'the kernel wrote to g').toEqual(bits(g32));
      f32.p.push(Float64Array.from(P.toArray()));
      f32.s.push(Object.fromEntries(Object.entries(S).map(([k, v]) => [k, Float64Array.from(v.toArray())])));
      f64.p.push(p64.slice());
      f64.s.push(Object.fromEntries(Object.entries(s64).map(([k, v]) => [k, v.slice()])));
    });
  });
  return { f32, f64 };
}

/** Exact equality that counts −0 as 0 (a "no move" may be written as −0). */
export function exactly(got: ArrayLike<number>, want: readonly number[], what: string): void {
  const g = Array.from(got);
  expect(g.every((x, i) => x === want[i]), `${what}: got [${g.join(', ')}], want [${want.join(', ')}]`).toBe(true);
}
