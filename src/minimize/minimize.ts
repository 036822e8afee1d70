// minimize(objective, x0, options): unconstrained minimization in float64.
//
//   method               direction / step                                      needs
//   'steepest-descent'   −g, line search                                       gradient
//   'cg'                 nonlinear CG (fr, pr, pr+, hs, dy), line search        gradient
//   'scg'                Møller's scaled CG, no line search                     gradient
//   'newton'             −(H + τI)⁻¹g, line search                              Hessian
//   'newton-cg'          truncated CG on H·d = −g, line search                   Hessian-vector products
//   'bfgs'               −H·g, inverse-Hessian update, line search              gradient
//   'lbfgs' (default)    two-loop recursion, memory m, line search              gradient
//   'lbfgs-torch'        torch.optim.LBFGS replayed: one iteration = one step(closure)  gradient
//                        call (max_iter inner iterations, fixed step lr or strong Wolfe;
//                        methods/lbfgs-torch.ts), options `lbfgsTorch`; plain TypeScript
//                        float64 (space/engine unused), torch's own tolerances
//   'lm'                 Levenberg–Marquardt, no line search                    residuals (+ Jacobian)
// Missing derivatives are finite differences (derivatives.ts says how and at what cost); the
// result counts every evaluation by kind. Vector and matrix work goes through a VectorSpace:
// `space` (e.g. new F64(engine), float64 kernels in wasm) or the plain TypeScript JsF64.
// Non-finite x0 is an error (nothing ran); an objective that returns NaN/Inf mid-run makes
// the line search back off, and if it cannot, the result says why (reason, message) — no
// exception in the middle of a run. Limits reached are reasons, not errors.

import { DescentError } from '../engine/errors.js';
import { checkOptionKeys } from '../engine/options.js';
import type { Engine } from '../engine/engine.js';
import { F64 } from '../linalg/f64.js';
import type { Objective } from './objective.js';
import { withDerivatives, type DerivativeOptions } from './derivatives.js';
import { Context, type MinimizeOptions, type MinimizeResult } from './context.js';
import { JsF64, type VectorSpace } from './vector-space.js';
import { runDirectionMethod, type DirectionMethod } from './methods/driver.js';
import { steepestDescent } from './methods/steepest-descent.js';
import { conjugateGradient, type CgOptions } from './methods/conjugate-gradient.js';
import { newton, newtonCg } from './methods/newton.js';
import { bfgs } from './methods/bfgs.js';
import { lbfgs } from './methods/lbfgs.js';
import { runTorchLbfgs, type TorchLbfgsOptions } from './methods/lbfgs-torch.js';
import { scg } from './methods/scg.js';
import { levenbergMarquardt, type LmOptions } from './methods/levenberg-marquardt.js';

export type MethodName = 'steepest-descent' | 'cg' | 'scg' | 'newton' | 'newton-cg' | 'bfgs' | 'lbfgs' | 'lbfgs-torch' | 'lm';
export const METHODS: readonly MethodName[] = ['steepest-descent', 'cg', 'scg', 'newton', 'newton-cg', 'bfgs', 'lbfgs', 'lbfgs-torch', 'lm'];

export interface MinimizeSettings extends MinimizeOptions {
  method?: MethodName;
  /** Nonlinear CG options (method 'cg'). */
  cg?: CgOptions;
  /** L-BFGS memory (default 10). */
  memory?: number;
  /** torch.optim.LBFGS's options (method 'lbfgs-torch'): lr, maxIter, maxEval, toleranceGrad, toleranceChange, historySize, lineSearchFn. */
  lbfgsTorch?: TorchLbfgsOptions;
  /** Levenberg–Marquardt options (method 'lm'). */
  lm?: LmOptions;
  /** Finite-difference scheme for a missing gradient. */
  derivatives?: DerivativeOptions;
  /** Where vectors live and who computes on them (default: plain TypeScript, or `engine`'s). */
  space?: VectorSpace;
  /** Run the vector and matrix work in this engine's float64 wasm kernels (an F64 space, freed at the end). */
  engine?: Engine;
}

const KNOWN = new Set(['method', 'cg', 'memory', 'lbfgsTorch', 'lm', 'derivatives', 'space', 'engine', 'gradientTolerance', 'stepTolerance',
  'valueTolerance', 'gradientNorm', 'relativeGradientTolerance', 'absoluteValueTolerance', 'maxIterations', 'maxEvaluations', 'lineSearch', 'callback', 'history']);

export function minimize(objective: Objective, x0: ArrayLike<number>, settings: MinimizeSettings = {}): MinimizeResult {
  settings = checkOptionKeys(settings, 'minimize', [...KNOWN]);
  for (const k of Object.keys(settings)) if (!KNOWN.has(k)) throw new DescentError(`minimize: unknown option ${JSON.stringify(k)}; known: ${[...KNOWN].join(', ')}`);
  const method = settings.method ?? 'lbfgs';
  if (!METHODS.includes(method)) throw new DescentError(`minimize: unknown method ${JSON.stringify(method)}; known: ${METHODS.join(', ')}`);
  const obj = withDerivatives(objective, settings.derivatives);
  if (!x0 || x0.length !== obj.n) throw new DescentError(`minimize: x0 has ${x0?.length} values, the objective has n = ${obj.n}`);
  for (let i = 0; i < obj.n; i++) {
    if (!Number.isFinite(x0[i])) throw new DescentError(`minimize: x0[${i}] is ${x0[i]}: the start must be finite`);
  }
  if (settings.space && settings.engine) throw new DescentError('minimize: give space or engine, not both');
  if (method === 'lbfgs-torch') {
    // torch's tests and line search replace these; its vector work is its own (plain float64)
    for (const k of ['gradientTolerance', 'stepTolerance', 'valueTolerance', 'gradientNorm', 'relativeGradientTolerance', 'absoluteValueTolerance', 'lineSearch', 'memory'] as const) {
      if (settings[k] !== undefined) throw new DescentError(`minimize: ${k} does not apply to 'lbfgs-torch'; give torch's options as lbfgsTorch: { toleranceGrad, toleranceChange, lineSearchFn, historySize, … }`);
    }
    return run(obj, x0, method, { ...settings, gradientTolerance: 0, stepTolerance: 0, valueTolerance: 0 }, new JsF64());
  }
  const own = settings.engine ? new F64(settings.engine, 'minimize') : undefined;
  const space = settings.space ?? own ?? new JsF64();
  try {
    return run(obj, x0, method, settings, space);
  } finally {
    own?.release();
  }
}

function run(obj: ReturnType<typeof withDerivatives>, x0: ArrayLike<number>, method: MethodName, settings: MinimizeSettings, space: VectorSpace): MinimizeResult {
  // LM's default has no absolute gradient test: ‖2Jᵀr‖ scales with the data (NIST's Lanczos
  // problems have RSS ≈ 1e-25 and a tiny gradient long before the parameters settle); it
  // stops by its own tests (MINPACK's ftol/xtol/gtol, f ≤ tiny: methods/lm-minpack.ts; the
  // 'damping' form on the step, the value change or when no damping gives a decrease).
  const ctx = new Context(obj, space, settings, 'wolfe', method === 'lm' ? 0 : 1e-8);
  const x = space.vec(obj.n, x0);
  const g = space.vec(obj.n);
  if (method === 'lbfgs-torch') {
    const f = runTorchLbfgs(ctx, x, g, settings.lbfgsTorch);
    return ctx.result(x, f, g);
  }
  if (method === 'lm') {
    const { f, g: gl } = levenbergMarquardt(ctx, x, settings.lm);
    return ctx.result(x, f, gl);
  }
  let f = ctx.valueAndGradient(x, g);
  const gradLen = g.data.length;
  if (gradLen !== obj.n) throw new DescentError(`minimize: the gradient has ${gradLen} values, expected ${obj.n}`);
  if (!Number.isFinite(f)) {
    ctx.stop('not-finite', `the objective is ${f} at x0`);
    return ctx.result(x, f, g);
  }
  if (method === 'scg') {
    f = scg(ctx, x, f, g);
    return ctx.result(x, f, g);
  }
  const m: DirectionMethod =
    method === 'steepest-descent' ? steepestDescent(ctx)
    : method === 'cg' ? conjugateGradient(ctx, settings.cg)
    : method === 'newton' ? newton(ctx)
    : method === 'newton-cg' ? newtonCg(ctx)
    : method === 'bfgs' ? bfgs(ctx)
    : lbfgs(ctx, settings.memory);
  ctx.defaultLineSearch = m.defaultLineSearch;
  f = runDirectionMethod(ctx, m, x, f, g);
  return ctx.result(x, f, g);
}
