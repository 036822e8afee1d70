// Activations that an ONNX graph spells with a few elementwise operators — what torch.onnx.export
// (1.13) writes where the opset has no operator for them: SiLU as x·Sigmoid(x), Mish as
// x·Tanh(Softplus(x)) (Mish is opset 18), GELU as (x·(Erf(x/√2) + 1))·½ and its tanh form
// ½·(x·(Tanh(√(2/π)·(x + 0.044715·x³)) + 1)) (Gelu is opset 20); descent's exporter writes the
// same forms (export.ts).
//
// Rather than matching each form node by node (other exporters order and group the same
// arithmetic differently), the importer takes the single-entry, single-exit subgraph of
// elementwise operators that starts at the data (elementwiseRegions) and evaluates it in f64 on
// probe points in [−6, 6] (evaluate); it is the activation whose f64 definition it reproduces
// there to 1e-6·max(1, |f|) (identify). Only scalar constants may enter the subgraph.

import type { ActivationName } from '../../nn/activations.js';
import type { OnnxNode } from './messages.js';

/** Operators the subgraph may hold. */
export const ELEMENTWISE_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Erf', 'Tanh', 'Sigmoid', 'Softplus', 'Exp', 'Log', 'Neg', 'Sqrt', 'Pow', 'Abs', 'Reciprocal']);

const MAX_NODES = 24;

/**
 * Candidate subgraphs from node `first` (a consumer of the data x), in topological `order`:
 * every closed prefix (all uses of x and of the nodes' outputs inside it but one, the exit), from
 * the largest to the smallest, of at least two nodes. `isScalar` says whether a name is a
 * constant of one value.
 */
export function elementwiseRegions(x: string, first: OnnxNode, order: readonly OnnxNode[], consumers: ReadonlyMap<string, OnnxNode[]>,
                                   graphOutputs: ReadonlySet<string>, isScalar: (name: string) => boolean): { nodes: OnnxNode[]; out: string }[] {
  const nodes: OnnxNode[] = [];
  const inside = new Set<string>([x]);
  const found: { nodes: OnnxNode[]; out: string }[] = [];
  for (let k = order.indexOf(first); k >= 0 && k < order.length && nodes.length < MAX_NODES; k++) {
    const m = order[k];
    if (!m.inputs.some((i) => inside.has(i))) continue; // unrelated (a Constant, a shape computation)
    if (!ELEMENTWISE_OPS.has(m.opType) || m.outputs.length !== 1 || m.domain !== '' && m.domain !== 'ai.onnx') break;
    if (!m.inputs.every((i) => inside.has(i) || isScalar(i))) break;
    nodes.push(m);
    inside.add(m.outputs[0]);
    // closed: nothing outside uses x or any output but one
    const used = (name: string) => graphOutputs.has(name) || (consumers.get(name) ?? []).some((c) => !nodes.includes(c));
    if (used(x)) continue;
    const exits = nodes.map((n) => n.outputs[0]).filter(used);
    if (exits.length === 1 && nodes.length >= 2) found.push({ nodes: [...nodes], out: exits[0] });
  }
  return found.reverse();
}

/** erf in f64: 2/√π·e^{−t²}·Σ 2ⁿt^{2n+1}/(1·3·…·(2n+1)) (positive terms, no cancellation); ±1 beyond |t| = 6. */
export function erf64(t: number): number {
  if (Number.isNaN(t)) return NaN;
  const a = Math.abs(t);
  if (a >= 6) return Math.sign(t);
  let term = a, sum = a;
  for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(t) * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
}

const sigmoid = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
const softplus = (v: number): number => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

/** The subgraph's output for each probe value of x (f64), or undefined if it holds an operator it cannot evaluate. */
export function evaluate(nodes: readonly OnnxNode[], x: string, out: string, probes: Float64Array, scalarOf: (name: string) => number): Float64Array | undefined {
  const vals = new Map<string, Float64Array>([[x, probes]]);
  const arg = (name: string): Float64Array => vals.get(name) ?? new Float64Array(probes.length).fill(scalarOf(name));
  for (const n of nodes) {
    const a = arg(n.inputs[0]), b = n.inputs.length > 1 ? arg(n.inputs[1]) : a;
    const f: ((p: number, q: number) => number) | undefined = ({
      Add: (p, q) => p + q, Sub: (p, q) => p - q, Mul: (p, q) => p * q, Div: (p, q) => p / q, Pow: (p, q) => p ** q,
      Erf: erf64, Tanh: Math.tanh, Sigmoid: sigmoid, Softplus: softplus, Exp: Math.exp, Log: Math.log, Neg: (p) => -p,
      Sqrt: Math.sqrt, Abs: Math.abs, Reciprocal: (p) => 1 / p,
    } as Record<string, (p: number, q: number) => number>)[n.opType];
    if (!f || (n.inputs.length > 2)) return undefined;
    vals.set(n.outputs[0], a.map((p, i) => f(p, b[i])));
  }
  return vals.get(out);
}

/** f64 definitions of the activations a subgraph may spell. */
const DEFINITIONS: [ActivationName, (v: number) => number][] = [
  ['gelu', (v) => 0.5 * v * (1 + erf64(v / Math.SQRT2))],
  ['gelu-tanh', (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))],
  ['silu', (v) => v * sigmoid(v)],
  ['mish', (v) => v * Math.tanh(softplus(v))],
  ['softplus', softplus],
  ['softsign', (v) => v / (1 + Math.abs(v))],
  ['tanh', Math.tanh],
  ['sigmoid', sigmoid],
];

/** Probe points: 97 values on [−6, 6] (steps of 1/8). */
const PROBES = Float64Array.from({ length: 97 }, (_, i) => -6 + i / 8);

/** The activation the subgraph computes, or undefined. */
export function identify(nodes: readonly OnnxNode[], x: string, out: string, scalarOf: (name: string) => number): ActivationName | undefined {
  const got = evaluate(nodes, x, out, PROBES, scalarOf);
  if (!got) return undefined;
  for (const [name, f] of DEFINITIONS) {
    if (PROBES.every((p, i) => Math.abs(got[i] - f(p)) <= 1e-6 * Math.max(1, Math.abs(f(p))))) return name;
  }
  return undefined;
}
