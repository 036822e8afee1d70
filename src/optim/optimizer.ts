// Optimizer objects: an update rule (rules.ts) with its state in engine memory, hyper-parameters
// that may be schedules, parameter groups, weight-decay masks, an L1 penalty and a state dict.
//
//   const opt = optimizer('adam', { lr: schedules.cosine(1e-3, { tMax: 1000 }) },
//                         { groups: [{ layers: [0], frozen: true }] });
//   fit(model, data, { optimizer: opt });
//
// Each step, for the flat parameter vector θ and gradient g of a model:
//   1. every hyper-parameter given as a schedule is evaluated at the step (or epoch) and the
//      whole set is validated (a schedule returning NaN stops here, nothing changed);
//   2. optional gradient transforms in place on g: clipping by global norm (L2, L1 or L∞), annealed Gaussian
//      noise (gradient-noise.ts), then the L1 subgradient g ← g + λ·sign(θ) on the segments
//      with λ > 0;
//   3. the rule's fused kernel runs once per run of consecutive segments that share their
//      settings (learning-rate multiplier, weight decay, step count), with pointers offset into
//      θ, g and the state buffers. With no groups and no decay, that is ONE pass over θ.
//
// Segments are the weights and the bias of each layer, in the order of the flat vector. By
// default weight decay (coupled L2 or decoupled) and L1 apply to weights only — biases are
// not decayed, as practitioners expect (`decayBiases: true` to decay them too). A group matches
// segments by layer index and/or kind and sets lrScale (multiplies lr), weightDecay, l1 or
// frozen; later groups override earlier ones. A frozen segment is neither updated nor stepped:
// its state stays as it was (never-updated segments keep their initial state) and its step
// count does not advance, so unfreezing it mid-training (`setFrozen`) starts Adam's bias
// correction at step 1 for those parameters, as PyTorch does for a parameter it has not seen.
//
// The state lives in an engine arena owned by the optimizer (freed with `release()` or when
// the optimizer is garbage-collected): the user never disposes anything. `stateDict()` copies
// it out (step counts, scalar state, buffers) and `loadStateDict()` checks a dict against this
// optimizer's rule and the bound model's layout before touching anything.

import { checkF32Hyper } from './check.js';
import { collector } from '../engine/finalization.js';
import type { Arena } from '../engine/arena.js';
import type { Engine } from '../engine/engine.js';
import { DescentError, show } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';
import type { Model } from '../nn/model.js';
import type { Optimizer, StepContext } from '../train/optimizer.js';
import { checkHyperSpec, rules, type Rule, type Scalars } from './rules.js';
import { isShifting, momentumClassic, nesterovLookahead } from './momentum.js';
import { rpropVariants } from './rprop-variants.js';
import { deltaBarDelta } from './delta-bar-delta.js';
import { asgd } from './asgd.js';
import type { GradientNoise } from './gradient-noise.js';
import { checkSchedule, type Schedule } from './schedules.js';
import { checkStateDict } from './state-dict.js';
import { checkNormType, vectorNorm, type NormType } from './clip.js';

/** Hyper-parameters as given by the user: any number may be a schedule of the step. */
export type HyperSpec<H> = { [K in keyof H]?: H[K] extends number ? number | Schedule : H[K] };

export interface GroupSpec {
  /** Layer indices this group covers (default: all layers). */
  layers?: readonly number[];
  /** Only weights or only biases of those layers (default: both). */
  kind?: 'weights' | 'biases';
  /** Multiplies the learning rate. */
  lrScale?: number;
  /** Overrides the weight decay (coupled or decoupled, as the rule does it). */
  weightDecay?: number;
  /** L1 penalty coefficient λ (adds λ·sign(θ) to the gradient). */
  l1?: number;
  frozen?: boolean;
}

export interface OptimizerOptions {
  groups?: readonly GroupSpec[];
  /** Apply weight decay and L1 to biases too (default false). */
  decayBiases?: boolean;
  /** L1 penalty for every decayed segment (a group may override it). */
  l1?: number;
  /** Clip the gradient to this global norm before the update (torch's clip_grad_norm_). */
  clipNorm?: number;
  /** The norm clipNorm bounds: 2 (default), 1 or Infinity ('inf'), torch's norm_type (clip.ts). */
  clipNormType?: NormType;
  /** Annealed Gaussian gradient noise (gradient-noise.ts), added after clipping, at the update step. */
  noise?: GradientNoise;
  /** Evaluate schedules per update step (default) or per epoch. */
  scheduleUnit?: 'step' | 'epoch';
  /** A name for logs and state dicts (default: the rule's). */
  name?: string;
}

interface Segment {
  layer: number;
  kind: 'weights' | 'biases';
  offset: number;
  length: number;
  lrScale: number;
  weightDecay: number | undefined; // undefined: the rule's own
  l1: number;
  frozen: boolean;
  /** Updates applied to this segment so far. */
  t: number;
  scalars: Scalars;
}

export interface OptimizerStateDict {
  format: 'descent-optimizer';
  version: 1;
  rule: string;
  length: number;
  /** [offset, length] of every segment. */
  layout: [number, number][];
  /** Updates done per segment, scalar state per segment, frozen flags. */
  steps: number[];
  scalars: Scalars[];
  frozen: boolean[];
  buffers: Record<string, Float32Array>;
}

let nextId = 0;
/** Frees an optimizer's state when the optimizer itself is garbage-collected. */
const collected = collector((arena: Arena) => arena.release());

function fail(name: string, msg: string): never {
  throw new DescentError(`${name}: ${msg}`);
}

function checkFactor(name: string, what: string, v: unknown, positive = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
    fail(name, `${what} must be a finite number ${positive ? '> 0' : '≥ 0'}, got ${show(v)}`);
  }
  return v;
}

export class RuleOptimizer<H extends object> implements Optimizer {
  readonly name: string;
  readonly rule: Rule<H>;
  readonly options: Readonly<OptimizerOptions>;
  /** ‖g‖ (of clipNormType) before clipping at the last step (when clipNorm is set). */
  lastGradientNorm: number | undefined;
  #schedules: [keyof H, Schedule][];
  #fixed: H;
  #checked: H | undefined;
  #engine: Engine | undefined;
  #arena: Arena | undefined;
  #state: Record<string, Tensor> | undefined;
  #segments: Segment[] | undefined;
  #length = 0;
  #model: Model | undefined;

  constructor(rule: Rule<H>, spec: HyperSpec<H> = {}, options: OptimizerOptions = {}) {
    // everything is checked by own keys and by value before anything is kept
    if (options === null || typeof options !== 'object' || Array.isArray(options)) fail(rule.name, `options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) fail(rule.name, `name must be a non-empty string, got ${typeof options.name}`);
    const name = options.name ?? rule.name;
    this.name = name;
    this.rule = rule;
    const known = ['groups', 'decayBiases', 'l1', 'clipNorm', 'clipNormType', 'noise', 'scheduleUnit', 'name'];
    for (const k of Object.keys(options)) if (!known.includes(k)) fail(name, `unknown option ${JSON.stringify(k)}; known: ${known.join(', ')}`);
    checkHyperSpec(name, rule.defaults, spec, true);
    if (options.decayBiases !== undefined && typeof options.decayBiases !== 'boolean') fail(name, `decayBiases must be true or false, got ${typeof options.decayBiases}`);
    if (options.l1 !== undefined) checkFactor(name, 'l1', options.l1);
    if (options.clipNorm !== undefined) checkFactor(name, 'clipNorm', options.clipNorm, true);
    if (options.clipNormType !== undefined) checkNormType(options.clipNormType, name);
    if (options.noise !== undefined && (options.noise === null || typeof options.noise !== 'object' || typeof options.noise.apply !== 'function')) {
      fail(name, 'noise must be a gradientNoise({ eta, gamma, seed }) transform');
    }
    if (options.scheduleUnit !== undefined && options.scheduleUnit !== 'step' && options.scheduleUnit !== 'epoch') {
      fail(name, `scheduleUnit must be 'step' or 'epoch', got ${typeof options.scheduleUnit === 'string' ? JSON.stringify(options.scheduleUnit) : typeof options.scheduleUnit}`);
    }
    if (options.groups !== undefined && !Array.isArray(options.groups)) fail(name, `groups must be an array of { layers, kind, lrScale, weightDecay, l1, frozen }, got ${typeof options.groups === 'string' ? JSON.stringify(options.groups) : typeof options.groups}`);
    const groupKeys = ['layers', 'kind', 'lrScale', 'weightDecay', 'l1', 'frozen'];
    for (const [i, g] of (options.groups ?? []).entries()) {
      const what = `group ${i}`;
      if (!g || typeof g !== 'object' || Array.isArray(g)) fail(name, `${what} must be an object`);
      for (const k of Object.keys(g)) {
        if (!groupKeys.includes(k)) fail(name, `${what}: unknown key ${JSON.stringify(k)}; known: ${groupKeys.join(', ')}`);
      }
      if (g.layers !== undefined && (!Array.isArray(g.layers) || !g.layers.every((l: unknown) => typeof l === 'number' && Number.isSafeInteger(l) && l >= 0))) {
        fail(name, `${what}: layers must be an array of layer indices, got ${Array.isArray(g.layers) ? JSON.stringify((g.layers as unknown[]).map((l) => (typeof l === 'number' ? l : typeof l))) : typeof g.layers}`);
      }
      if (g.kind !== undefined && g.kind !== 'weights' && g.kind !== 'biases') fail(name, `${what}: kind must be 'weights' or 'biases', got ${typeof g.kind === 'string' ? JSON.stringify(g.kind) : typeof g.kind}`);
      if (g.lrScale !== undefined) checkFactor(name, `${what}: lrScale`, g.lrScale);
      if (g.weightDecay !== undefined) checkFactor(name, `${what}: weightDecay`, g.weightDecay);
      if (g.l1 !== undefined) checkFactor(name, `${what}: l1`, g.l1);
      if (g.frozen !== undefined && typeof g.frozen !== 'boolean') fail(name, `${what}: frozen must be true or false, got ${typeof g.frozen}`);
    }
    this.options = { ...options, ...(options.groups ? { groups: options.groups.map((g) => ({ ...g, ...(g.layers ? { layers: [...g.layers] } : {}) })) } : {}) };
    this.#schedules = [];
    for (const [k, v] of Object.entries(spec) as [keyof H & string, unknown][]) {
      if (v === undefined) continue;
      if (typeof v === 'function') this.#schedules.push([k, checkSchedule(v as Schedule, `${name}: ${k} schedule`)]);
    }
    // validate now, with every schedule at step 0
    const given = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
    this.#fixed = { ...rule.defaults, ...given } as H;
    this.hyper(0);
  }

  /** The engine of the first model or vectors this optimizer updates; its state lives there. */
  #useEngine(engine: Engine): void {
    if (!this.#engine) {
      this.#engine = engine;
      this.#arena = engine.arena(`optimizer ${this.name} #${nextId++}`);
      collected.register(this, this.#arena, this);
    } else if (this.#engine !== engine) {
      fail(this.name, 'the parameters live in another engine than the optimizer state; create one optimizer per engine');
    }
  }

  /** The hyper-parameters in effect at step (or epoch) s, validated. */
  hyper(s: number): H {
    if (this.#schedules.length === 0 && this.#checked) return this.#checked;
    const h = { ...this.#fixed } as H;
    for (const [k, f] of this.#schedules) (h as Record<string, unknown>)[k as string] = f(s);
    this.rule.check(h);
    checkF32Hyper(this.name, h); // finite in f64 but Infinity or 0 in the f32 kernels (check.ts)
    // constant hyper-parameters are checked once (here, from the constructor) and reused
    if (this.#schedules.length === 0) this.#checked = Object.freeze(h);
    return h;
  }

  learningRate(ctx: StepContext): number {
    const h = this.hyper(this.#unit(ctx)) as { lr?: number };
    return h.lr ?? NaN;
  }

  #unit(ctx: StepContext): number {
    return this.options.scheduleUnit === 'epoch' ? ctx.epoch : ctx.step;
  }

  /** Attach to a model: segments from its layers. Called by fit; idempotent for the same layout. */
  bind(model: Model): void {
    this.#useEngine(model.engine);
    const segs: Segment[] = [];
    for (const l of model.layers) {
      segs.push(this.#segment(l.index, 'weights', l.weightOffset, l.inputs * l.units));
      if (l.hasBias) segs.push(this.#segment(l.index, 'biases', l.biasOffset, l.units));
    }
    const maxLayer = model.layers.length - 1;
    for (const [i, g] of (this.options.groups ?? []).entries()) {
      const bad = g.layers?.find((l) => l > maxLayer);
      if (bad !== undefined) fail(this.name, `group ${i}: layer ${bad} does not exist (the model has ${model.layers.length} layers)`);
    }
    this.#attach(segs, model.parameterCount);
    this.#model = model;
  }

  #segment(layer: number, kind: 'weights' | 'biases', offset: number, length: number): Segment {
    const decayed = kind === 'weights' || !!this.options.decayBiases;
    const s: Segment = {
      layer, kind, offset, length, lrScale: 1, weightDecay: decayed ? undefined : 0,
      l1: decayed ? this.options.l1 ?? 0 : 0, frozen: false, t: 0, scalars: {},
    };
    for (const g of this.options.groups ?? []) {
      if (g.layers && !g.layers.includes(layer)) continue;
      if (g.kind && g.kind !== kind) continue;
      if (g.lrScale !== undefined) s.lrScale = g.lrScale;
      if (g.weightDecay !== undefined) s.weightDecay = g.weightDecay;
      if (g.l1 !== undefined) s.l1 = g.l1;
      if (g.frozen !== undefined) s.frozen = g.frozen;
    }
    return s;
  }

  #attach(segs: Segment[], length: number): void {
    if (this.#segments) {
      const same = this.#length === length && segs.length === this.#segments.length &&
        segs.every((s, i) => s.offset === this.#segments![i].offset && s.length === this.#segments![i].length);
      if (!same) fail(this.name, `this optimizer holds state for a different model (${this.#length} parameters in ${this.#segments.length} segments); create a new optimizer for ${length} parameters`);
      return;
    }
    for (const s of segs) s.scalars = this.rule.initScalars(this.#fixed);
    this.#segments = segs;
    this.#length = length;
  }

  /** Freeze or unfreeze layers (all of their segments) from now on. */
  setFrozen(layers: readonly number[], frozen: boolean): void {
    const segs = this.#requireSegments('setFrozen');
    for (const l of layers) {
      if (!segs.some((s) => s.layer === l)) fail(this.name, `setFrozen: layer ${l} does not exist`);
    }
    for (const s of segs) if (layers.includes(s.layer)) s.frozen = frozen;
  }

  /** Per segment: layer, kind, offset, length, updates done, frozen. */
  segments(): { layer: number; kind: string; offset: number; length: number; steps: number; frozen: boolean }[] {
    return (this.#segments ?? []).map((s) => ({ layer: s.layer, kind: s.kind, offset: s.offset, length: s.length, steps: s.t, frozen: s.frozen }));
  }

  #requireSegments(op: string): Segment[] {
    if (!this.#segments) fail(this.name, `${op}: the optimizer is not bound to a model yet (fit binds it; or call bind(model))`);
    return this.#segments;
  }

  #ensureState(): Record<string, Tensor> {
    if (this.#state) return this.#state;
    const st: Record<string, Tensor> = {};
    const K = this.#engine!.kernels;
    for (const name of this.rule.stateNames) {
      if (!this.rule.uses(name, this.#fixed)) continue;
      const t = this.#arena!.empty([this.#length], `${this.name} ${name}`);
      K.fill(this.#length, this.rule.initState(name, this.#fixed), t.pointer());
      st[name] = t;
    }
    this.#state = st;
    return st;
  }

  step(params: Tensor, grads: Tensor, ctx: StepContext): void {
    this.#useEngine(params.engine);
    if (ctx.model && ctx.model !== this.#model) this.bind(ctx.model);
    if (!this.#segments) {
      this.#attach([{ layer: 0, kind: 'weights', offset: 0, length: params.size, lrScale: 1, weightDecay: undefined, l1: this.options.l1 ?? 0, frozen: false, t: 0, scalars: {} }], params.size);
    }
    if (params.size !== this.#length || grads.size !== this.#length) {
      fail(this.name, `step: expected flat vectors of ${this.#length} parameters, got params ${params.size} and gradients ${grads.size}`);
    }
    // 1. everything that can fail, before anything changes
    const h = this.hyper(this.#unit(ctx));
    const state = this.#ensureState();
    const K = this.#engine!.kernels;
    const pp = params.pointer(`${this.name}.step`, 'params'), gp = grads.pointer(`${this.name}.step`, 'gradients');
    const sp: Record<string, number> = {};
    for (const [k, t] of Object.entries(state)) sp[k] = t.pointer();
    // 2. gradient transforms
    if (this.options.clipNorm !== undefined) {
      const norm = vectorNorm(K, this.#length, gp, checkNormType(this.options.clipNormType ?? 2, this.name));
      this.lastGradientNorm = norm;
      const c = this.options.clipNorm / (norm + 1e-6);
      if (c < 1) K.scal(this.#length, c, gp);
    }
    if (this.options.noise) this.options.noise.apply(K, this.#length, gp, ctx.step);
    const segs = this.#segments!;
    for (const s of segs) {
      if (!s.frozen && s.l1 > 0) K.addSign(s.length, s.l1, pp + s.offset * 4, gp + s.offset * 4);
    }
    // 3. one fused pass per run of segments with equal settings
    const info = { loss: ctx.loss };
    for (let i = 0; i < segs.length;) {
      const s = segs[i];
      let j = i + 1;
      while (j < segs.length && segs[j].offset === segs[j - 1].offset + segs[j - 1].length && sameSettings(segs[j], s)) j++;
      if (!s.frozen) {
        const hr = { ...h } as H & { lr?: number; weight_decay?: number };
        if (hr.lr !== undefined) hr.lr = hr.lr * s.lrScale;
        if (s.weightDecay !== undefined && 'weight_decay' in hr) hr.weight_decay = s.weightDecay;
        const coeffs = this.rule.coefficients(s.t + 1, hr, s.scalars, info);
        let n = 0;
        for (let q = i; q < j; q++) n += segs[q].length;
        const o = s.offset * 4;
        const ptrs: Record<string, number> = {};
        for (const [k, p] of Object.entries(sp)) ptrs[k] = p + o;
        this.rule.kernel(K, n, pp + o, gp + o, ptrs, coeffs, hr);
        for (let q = i; q < j; q++) {
          segs[q].t++;
          if (q > i) segs[q].scalars = { ...s.scalars };
        }
      }
      i = j;
    }
  }

  /**
   * For rules that take the gradient elsewhere than at θ (look-ahead Nesterov): move the
   * parameters of every unfrozen segment there. fit calls it before each gradient.
   */
  beforeGradient(params: Tensor, ctx: StepContext): void {
    // the step's hyper-parameters first: a schedule returning NaN throws here, before fit runs
    // the forward pass (which moves running statistics and the dropout counter)
    const h = this.hyper(this.#unit(ctx));
    if (!isShifting(this.rule)) return;
    this.#useEngine(params.engine);
    if (ctx.model && ctx.model !== this.#model) this.bind(ctx.model);
    if (!this.#segments) this.#attach([{ layer: 0, kind: 'weights', offset: 0, length: params.size, lrScale: 1, weightDecay: undefined, l1: this.options.l1 ?? 0, frozen: false, t: 0, scalars: {} }], params.size);
    if (params.size !== this.#length) fail(this.name, `beforeGradient: expected ${this.#length} parameters, got ${params.size}`);
    const state = this.#ensureState();
    const K = this.#engine!.kernels;
    const pp = params.pointer(`${this.name}.beforeGradient`, 'params');
    for (const s of this.#segments!) {
      if (s.frozen) continue;
      const o = s.offset * 4;
      const ptrs: Record<string, number> = {};
      for (const [k, t] of Object.entries(state)) ptrs[k] = t.pointer() + o;
      this.rule.shift(K, s.length, pp + o, ptrs, h);
    }
  }

  /** A copy of the optimizer's state (buffers copied out of wasm memory). */
  stateDict(): OptimizerStateDict {
    const segs = this.#requireSegments('stateDict');
    const state = this.#ensureState();
    const buffers: Record<string, Float32Array> = {};
    for (const [k, t] of Object.entries(state)) buffers[k] = t.toArray();
    return {
      format: 'descent-optimizer', version: 1, rule: this.rule.name, length: this.#length,
      layout: segs.map((s) => [s.offset, s.length]),
      steps: segs.map((s) => s.t), scalars: segs.map((s) => ({ ...s.scalars })), frozen: segs.map((s) => s.frozen),
      buffers,
    };
  }

  /** Replace the state by `sd` (from stateDict or a checkpoint). Checks all of it first. */
  loadStateDict(sd: OptimizerStateDict, model?: Model): void {
    const what = `${this.name}: loadStateDict`;
    // types and values first (state-dict.ts), then this optimizer's rule and the model's layout
    checkStateDict(sd, what);
    if (sd.rule !== this.rule.name) fail(what, `the state belongs to rule ${JSON.stringify(sd.rule)}, this optimizer is ${JSON.stringify(this.rule.name)}`);
    // a refused dict changes nothing: a binding made by this call is undone (#undoBind)
    const wasBound = this.#segments !== undefined, hadEngine = this.#engine !== undefined;
    try {
      if (model) this.bind(model);
      this.#checkStateDictLayout(sd, what);
    } catch (e) {
      if (!wasBound) this.#undoBind(hadEngine);
      throw e;
    }
    const segs = this.#segments!;
    const names = this.rule.stateNames.filter((n) => this.rule.uses(n, this.#fixed)).sort();
    // all checked: apply
    const state = this.#ensureState();
    for (const k of names) state[k].data.set(sd.buffers[k]);
    segs.forEach((s, i) => { s.t = sd.steps[i]; s.scalars = { ...sd.scalars[i] }; s.frozen = !!sd.frozen[i]; });
  }

  /** Back to unbound (a loadStateDict that bound this optimizer and then refused the dict). */
  #undoBind(hadEngine: boolean): void {
    this.#segments = undefined;
    this.#length = 0;
    this.#model = undefined;
    if (!hadEngine && this.#arena) {
      collected.unregister(this);
      this.#arena.release();
      this.#arena = undefined;
      this.#engine = undefined;
    }
  }

  /** The layout, per-segment entries and buffer names of a state dict against this bound optimizer. */
  #checkStateDictLayout(sd: OptimizerStateDict, what: string): void {
    const segs = this.#requireSegments('loadStateDict');
    if (sd.length !== this.#length) fail(what, `the state is for ${sd.length} parameters, the model has ${this.#length} (a state dict from another model?)`);
    const layout = Array.isArray(sd.layout) ? sd.layout : [];
    if (layout.length !== segs.length || !segs.every((s, i) => layout[i]?.[0] === s.offset && layout[i]?.[1] === s.length)) {
      fail(what, `the state's layer layout ${JSON.stringify(layout)} differs from the model's ${JSON.stringify(segs.map((s) => [s.offset, s.length]))}`);
    }
    for (const key of ['steps', 'scalars', 'frozen'] as const) {
      if (!Array.isArray(sd[key]) || sd[key].length !== segs.length) fail(what, `${key} must hold one entry per segment (${segs.length})`);
    }
    if (!sd.steps.every((t) => Number.isSafeInteger(t) && t >= 0)) fail(what, `steps must be integers ≥ 0, got ${JSON.stringify(sd.steps)}`);
    // the buffers #ensureState allocates, named without allocating them (nothing allocated on an error)
    const names = this.rule.stateNames.filter((n) => this.rule.uses(n, this.#fixed)).sort(), given = Object.keys(sd.buffers).sort();
    if (JSON.stringify(names) !== JSON.stringify(given)) fail(what, `buffers ${JSON.stringify(given)} do not match this optimizer's ${JSON.stringify(names)}`);
    for (const k of names) {
      if (sd.buffers[k].length !== this.#length) fail(what, `buffer ${k} must be a Float32Array of ${this.#length} values`);
    }
  }

  /**
   * Free the state buffers now (they are also freed when the optimizer is garbage-collected).
   * The optimizer can be used again: it starts afresh.
   */
  release(): void {
    if (this.#arena) collected.unregister(this);
    this.#arena?.release();
    this.#arena = undefined;
    this.#engine = undefined;
    this.#state = undefined;
    this.#segments = undefined;
    this.#model = undefined;
  }
}

function sameSettings(a: Segment, b: Segment): boolean {
  return a.lrScale === b.lrScale && a.weightDecay === b.weightDecay && a.l1 === b.l1 && a.frozen === b.frozen && a.t === b.t;
}

/** Names accepted by `optimizer(name)`: the rules plus the usual SGD presets. */
const allRules: Record<string, Rule<object>> = {
  ...rules,
  'momentum-classic': momentumClassic as unknown as Rule<object>,
  'nesterov-lookahead': nesterovLookahead as unknown as Rule<object>,
  ...(rpropVariants as unknown as Record<string, Rule<object>>),
  'delta-bar-delta': deltaBarDelta as unknown as Rule<object>,
  asgd: asgd as unknown as Rule<object>,
};
export const OPTIMIZER_NAMES = [...Object.keys(allRules), 'momentum', 'nesterov'] as const;

/**
 * An optimizer by name: any rule of rules.ts ('sgd', 'adam', 'adamw', …), 'momentum-classic' and
 * 'nesterov-lookahead' (momentum.ts), 'rprop+', 'rprop-', 'irprop+', 'irprop-' (rprop-variants.ts),
 * 'delta-bar-delta', 'asgd' (asgd.ts, torch.optim.ASGD), or the presets
 * 'momentum' (SGD, momentum 0.9) and 'nesterov' (SGD, Nesterov momentum 0.9). `hyper` uses the
 * rule's (PyTorch's) names; any number may be a schedule (step) => value.
 */
export function optimizer(name: string, hyper: Record<string, unknown> = {}, options: OptimizerOptions = {}): RuleOptimizer<object> {
  const presets: Record<string, [string, Record<string, unknown>]> = {
    momentum: ['sgd', { momentum: 0.9 }],
    nesterov: ['sgd', { momentum: 0.9, nesterov: true }],
  };
  // own-property lookups only: 'constructor', '__proto__' or 'toString' name no optimizer
  const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
  if (typeof name !== 'string') throw new DescentError(`optimizer: the name must be a string (one of ${OPTIMIZER_NAMES.join(', ')}), got ${name === null ? 'null' : typeof name}`);
  const [ruleName, preset] = own(presets, name) ? presets[name] : [name, {}];
  const rule = own(allRules, ruleName) ? allRules[ruleName] : undefined;
  if (!rule) throw new DescentError(`optimizer: unknown optimizer ${JSON.stringify(name)}; known: ${OPTIMIZER_NAMES.join(', ')}`);
  checkHyperSpec(name, rule.defaults, hyper, true);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new DescentError(`${name}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  return new RuleOptimizer(rule, { ...preset, ...hyper } as HyperSpec<object>, { name, ...options });
}
