// PyTorch parity for the schedules, against test/fixtures/torch-optim.json (key "lr_schedulers"),
// generated with torch.optim.lr_scheduler. Fails, never skips, if the file or a scheduler is missing.
// DESCENT_TORCH_FIXTURE=path overrides the file.
//
// Accepted layouts of "lr_schedulers" (the reader is lenient about the container, strict about values):
//   { "optimizer": "SGD(lr=1.0)", "cases": [ { "scheduler": "StepLR", "options": {…}, "lrs": […] }, … ] }
//     (the layout of scripts/torch-reference.py; container fields such as "optimizer" apply to every case)
//   { "StepLR": case | [case, …], … }   or   [ { "name" | "scheduler" | "type": "StepLR", …case }, … ]
// A case has
//   parameters   in "kwargs" | "params" | "options" | "args" | "config", or at the top level; PyTorch's
//                names (step_size, T_max, eta_min, T_0, T_mult, start_factor, …) or camelCase
//   base lr      "lr0" | "base_lr" | "initial_lr" | "lr" (a number) | "optimizer": "SGD(lr=…)" (case or
//                container) | parameters.lr (not needed for OneCycleLR)
//   values       "lrs" | "lr" (an array) | "values" | "expected" (an array, or {lr, momentum});
//                entries may be per-param-group lists ([0.1] as get_last_lr() returns): the first is used
//   momentum     OneCycleLR: "momentum" | "momentums" | "betas" (first of each pair) | "beta1"; also
//                "beta1_with_adam" when present (Adam's betas[0] under the same schedule)
//   metrics      ReduceLROnPlateau: "metrics" | "metric" | "losses"
//   alignment    values[i] is the value after i calls of scheduler.step() (i = 0: right after
//                construction), unless "steps" lists the step of each value or "offset" = k says
//                values[i] is after i + k calls. ReduceLROnPlateau: "lrs_after_step"[i] is the lr after
//                step(metrics[i]) and "lrs"[i] the lr before it; with only "lrs": if it has one value
//                more than metrics, lrs[0] is the initial lr and lrs[i+1] the lr after metrics[i],
//                otherwise lrs[i] is the lr after metrics[i].
// Python's json writes NaN / Infinity bare; they are read as numbers.
// Tolerance: |ours − torch| ≤ 1e−12·|torch| (PyTorch steps most schedulers recursively; descent uses
// the closed forms, which agree to a few ulps: measured ≤ 5e−15 against PyTorch 1.13).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  cosine, cosineWarmRestarts, exponential, linearLR, multiStep, oneCycle, step, type Schedule,
} from '../src/optim/schedules.js';
import { reduceOnPlateau } from '../src/optim/plateau.js';

const FIXTURE = process.env.DESCENT_TORCH_FIXTURE || fileURLToPath(new URL('./fixtures/torch-optim.json', import.meta.url));
const REL = 1e-12;

const REQUIRED = [
  'StepLR', 'MultiStepLR', 'ExponentialLR', 'CosineAnnealingLR', 'CosineAnnealingWarmRestarts',
  'LinearLR', 'OneCycleLR', 'ReduceLROnPlateau',
] as const;
type Name = (typeof REQUIRED)[number];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

interface Case {
  name: Name;
  label: string;
  params: Map<string, Json>; // keys lower-cased, without '_'
  raw: Obj;
  container: Obj;
}

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const key = (k: string) => k.toLowerCase().replace(/[_\s-]/g, '');

function parseJson(text: string): Json {
  // Python's json module writes NaN, Infinity and -Infinity bare.
  const quoted = text.replace(/(?<=[[,:]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '"__$1__"');
  return JSON.parse(quoted, (_k, v: unknown) =>
    v === '__NaN__' ? NaN : v === '__Infinity__' ? Infinity : v === '__-Infinity__' ? -Infinity : v,
  ) as Json;
}

function schedulerName(s: string): Name | undefined {
  const k = key(s);
  // longest first: "cosineannealingwarmrestarts" starts with "cosineannealing"
  const byLength = [...REQUIRED].sort((a, b) => b.length - a.length);
  return byLength.find((n) => k === key(n) || k.startsWith(key(n)));
}

/** The cases of the schedulers listed in REQUIRED; others are ignored (PolynomialLR, CyclicLR, SequentialLR, ChainedScheduler: test/schedules-extra-torch.test.ts). */
function collect(ls: Json): Case[] {
  const cases: Case[] = [];
  const container: Obj = isObj(ls) && Array.isArray(ls.cases) ? ls : {};
  const add = (nameHint: string | undefined, c: Json, i: number) => {
    if (nameHint !== undefined && !schedulerName(nameHint) && !isObj(c)) return; // e.g. "note": "…"
    if (!isObj(c)) throw new Error(`lr_schedulers: case ${nameHint ?? i} is not an object`);
    const explicit = [c.name, c.scheduler, c.type, c.class].find((v) => typeof v === 'string') as string | undefined;
    const hint = explicit ?? nameHint;
    const name = hint === undefined ? undefined : schedulerName(hint);
    if (!name) return;
    const p = [c.kwargs, c.params, c.options, c.args, c.config].find(isObj) ?? c;
    const params = new Map<string, Json>();
    for (const [k, v] of Object.entries(p)) params.set(key(k), v);
    cases.push({ name, label: `${hint}[${i}] ${JSON.stringify(p).slice(0, 160)}`, params, raw: c, container });
  };
  if (Array.isArray(ls)) ls.forEach((c, i) => add(undefined, c, i));
  else if (isObj(ls) && Array.isArray(ls.cases)) ls.cases.forEach((c, i) => add(undefined, c, i));
  else if (isObj(ls)) {
    for (const [k, v] of Object.entries(ls)) {
      const list = Array.isArray(v) ? v : isObj(v) && Array.isArray(v.cases) ? v.cases : [v];
      list.forEach((c, i) => add(k, c, i));
    }
  } else throw new Error('lr_schedulers must be an object or an array');
  return cases;
}

function first(x: Json): number {
  const v = Array.isArray(x) ? x[0] : x;
  if (typeof v !== 'number') throw new Error(`expected a number (or a per-group list of numbers), got ${JSON.stringify(x)}`);
  return v;
}

function series(x: Json | undefined, what: string): number[] | undefined {
  if (x === undefined || x === null) return undefined;
  if (!Array.isArray(x)) throw new Error(`${what} must be an array, got ${JSON.stringify(x).slice(0, 80)}`);
  return x.map(first);
}

function param(c: Case, names: string[], fallback?: number): number {
  for (const n of names) {
    const v = c.params.get(key(n));
    if (v !== undefined && v !== null) return first(v);
  }
  if (fallback !== undefined) return fallback;
  throw new Error(`${c.label}: missing parameter ${names.join(' / ')}`);
}

function optional(c: Case, name: string): Json | undefined {
  const v = c.params.get(key(name));
  return v === null ? undefined : v;
}

function lrOfOptimizer(o: Json | undefined): number | undefined {
  if (isObj(o) && typeof o.lr === 'number') return o.lr;
  const m = typeof o === 'string' ? /\blr\s*=\s*([-+0-9.eE]+)/.exec(o) : null; // "SGD(lr=1.0)"
  return m ? Number(m[1]) : undefined;
}

function baseLr(c: Case): number {
  const r = c.raw;
  for (const v of [r.lr0, r.base_lr, r.initial_lr, typeof r.lr === 'number' ? r.lr : undefined, lrOfOptimizer(r.optimizer)]) {
    if (typeof v === 'number') return v;
  }
  if (c.params.has('lr')) return param(c, ['lr']);
  const v = lrOfOptimizer(c.container.optimizer);
  if (v === undefined) throw new Error(`${c.label}: no base lr (lr0 | base_lr | lr | optimizer "SGD(lr=…)")`);
  return v;
}

function values(c: Case): { lr: number[]; momentum?: number[] } {
  const r = c.raw;
  const e = isObj(r.expected) ? r.expected : undefined;
  const lr =
    series(r.lrs, 'lrs') ??
    (Array.isArray(r.lr) ? series(r.lr, 'lr') : undefined) ??
    series(r.values, 'values') ??
    (Array.isArray(r.expected) ? series(r.expected, 'expected') : undefined) ??
    series(e?.lr ?? e?.lrs, 'expected.lr');
  if (!lr) throw new Error(`${c.label}: no lr values (lrs | lr | values | expected)`);
  const betas = r.betas ?? e?.betas;
  const momentum =
    series(r.momentum ?? r.momentums ?? e?.momentum ?? e?.momentums, 'momentum') ??
    (Array.isArray(betas) ? betas.map((b) => first(Array.isArray(b) ? b[0] : b)) : undefined) ??
    series(r.beta1, 'beta1');
  return { lr, momentum };
}

function stepsOf(c: Case, n: number): number[] {
  const r = c.raw;
  if (Array.isArray(r.steps)) return r.steps.map(first);
  const offset = typeof r.offset === 'number' ? r.offset : 0;
  return Array.from({ length: n }, (_, i) => i + offset);
}

function compare(c: Case, got: (t: number) => number, want: number[], steps: number[], what = 'lr'): void {
  const bad: string[] = [];
  want.forEach((w, i) => {
    const g = got(steps[i]);
    if (!(Math.abs(g - w) <= REL * Math.abs(w)) && !(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)))) {
      bad.push(`t=${steps[i]}: descent ${g}, torch ${w}`);
    }
  });
  if (bad.length && steps[0] === 0 && !Array.isArray(c.raw.steps)) {
    // Tell an alignment mismatch from a real disagreement.
    const shifted = want.every((w, i) => {
      try {
        return Math.abs(got(i + 1) - w) <= REL * Math.abs(w);
      } catch {
        return false;
      }
    });
    if (shifted) {
      expect.fail(`${c.label} ${what}: torch's values[i] match descent at t = i + 1: the fixture records after ` +
        'each step(); add "offset": 1 to the case (or "steps"), see the header of this file');
    }
  }
  if (bad.length) expect.fail(`${c.label} ${what}: ${bad.length} of ${want.length} differ, e.g.\n  ${bad.slice(0, 5).join('\n  ')}`);
}

function schedulesFor(c: Case): { lr: Schedule; momentum?: Schedule } {
  switch (c.name) {
    case 'StepLR':
      return { lr: step(baseLr(c), { stepSize: param(c, ['step_size']), gamma: param(c, ['gamma'], 0.1) }) };
    case 'MultiStepLR': {
      const ms = optional(c, 'milestones');
      if (!Array.isArray(ms)) throw new Error(`${c.label}: milestones missing`);
      return { lr: multiStep(baseLr(c), { milestones: ms.map(first), gamma: param(c, ['gamma'], 0.1) }) };
    }
    case 'ExponentialLR':
      return { lr: exponential(baseLr(c), { gamma: param(c, ['gamma']) }) };
    case 'CosineAnnealingLR':
      return { lr: cosine(baseLr(c), { tMax: param(c, ['T_max', 'tMax']), etaMin: param(c, ['eta_min', 'etaMin'], 0) }) };
    case 'CosineAnnealingWarmRestarts':
      return {
        lr: cosineWarmRestarts(baseLr(c), {
          t0: param(c, ['T_0', 't0']), tMult: param(c, ['T_mult', 'tMult'], 1), etaMin: param(c, ['eta_min', 'etaMin'], 0),
        }),
      };
    case 'LinearLR':
      return {
        lr: linearLR(baseLr(c), {
          startFactor: param(c, ['start_factor'], 1 / 3), endFactor: param(c, ['end_factor'], 1), totalIters: param(c, ['total_iters'], 5),
        }),
      };
    case 'OneCycleLR': {
      const total = c.params.has('totalsteps') && optional(c, 'total_steps') !== undefined
        ? param(c, ['total_steps'])
        : param(c, ['epochs']) * param(c, ['steps_per_epoch']);
      const strategy = optional(c, 'anneal_strategy');
      const three = optional(c, 'three_phase');
      const o = oneCycle({
        maxLr: param(c, ['max_lr']),
        totalSteps: total,
        pctStart: param(c, ['pct_start'], 0.3),
        annealStrategy: strategy === 'linear' ? 'linear' : 'cos',
        divFactor: param(c, ['div_factor'], 25),
        finalDivFactor: param(c, ['final_div_factor'], 1e4),
        threePhase: three === true,
        baseMomentum: param(c, ['base_momentum'], 0.85),
        maxMomentum: param(c, ['max_momentum'], 0.95),
      });
      return { lr: o.lr, momentum: optional(c, 'cycle_momentum') === false ? undefined : o.momentum };
    }
    case 'ReduceLROnPlateau':
      throw new Error('ReduceLROnPlateau is stateful');
  }
}

function checkPlateau(c: Case): void {
  const r = c.raw;
  const metrics = series(r.metrics ?? r.metric ?? r.losses, 'metrics');
  if (!metrics) throw new Error(`${c.label}: no metrics (metrics | metric | losses)`);
  const before = values(c).lr;
  const afterStep = series(r.lrs_after_step, 'lrs_after_step');
  let lr: number[];
  let lr0: number;
  if (afterStep) {
    if (before.length !== metrics.length) throw new Error(`${c.label}: ${metrics.length} metrics but ${before.length} lrs`);
    lr0 = before[0];
    lr = afterStep;
    // lrs[i], the lr before step(metrics[i]), is lrs_after_step[i − 1]
    compare(c, (t) => (t === 0 ? lr0 : afterStep[t - 1]), before, before.map((_, i) => i), 'lrs vs lrs_after_step');
  } else if (before.length === metrics.length + 1) {
    lr0 = before[0];
    lr = before.slice(1);
  } else {
    lr0 = baseLr(c);
    lr = before;
  }
  if (lr.length !== metrics.length) throw new Error(`${c.label}: ${metrics.length} metrics but ${lr.length} lrs`);
  const mode = optional(c, 'mode');
  const tm = optional(c, 'threshold_mode');
  const p = reduceOnPlateau(lr0, {
    mode: mode === 'max' ? 'max' : 'min',
    factor: param(c, ['factor'], 0.1),
    patience: param(c, ['patience'], 10),
    threshold: param(c, ['threshold'], 1e-4),
    thresholdMode: tm === 'abs' ? 'abs' : 'rel',
    cooldown: param(c, ['cooldown'], 0),
    minLr: param(c, ['min_lr'], 0),
    eps: param(c, ['eps'], 1e-8),
  });
  const got = metrics.map((m) => p.step(m));
  compare(c, (t) => got[t], lr, lr.map((_, i) => i));
}

let loaded: Case[] | Error;
try {
  if (!existsSync(FIXTURE)) throw new Error(`${FIXTURE} does not exist: generate it with PyTorch (see the header of this file)`);
  const root = parseJson(readFileSync(FIXTURE, 'utf8'));
  if (!isObj(root) || root.lr_schedulers === undefined) throw new Error(`${FIXTURE} has no key "lr_schedulers"`);
  loaded = collect(root.lr_schedulers);
} catch (e) {
  loaded = e as Error;
}

describe('schedules vs PyTorch torch.optim.lr_scheduler', () => {
  if (loaded instanceof Error) {
    const err = loaded;
    it('reads the fixture', () => {
      throw err;
    });
    return;
  }
  const cases = loaded;
  it('the fixture covers every scheduler', () => {
    const missing = REQUIRED.filter((n) => !cases.some((c) => c.name === n));
    expect(missing, `schedulers missing from ${FIXTURE}`).toEqual([]);
  });
  for (const name of REQUIRED) {
    const mine = cases.filter((c) => c.name === name);
    if (mine.length === 0) continue;
    it(`${name} (${mine.length} case${mine.length > 1 ? 's' : ''})`, () => {
      for (const c of mine) {
        if (name === 'ReduceLROnPlateau') {
          checkPlateau(c);
          continue;
        }
        const s = schedulesFor(c);
        const v = values(c);
        compare(c, s.lr, v.lr, stepsOf(c, v.lr.length));
        if (name === 'OneCycleLR' && s.momentum) {
          if (!v.momentum) throw new Error(`${c.label}: no momentum values (momentum | momentums | betas | beta1)`);
          compare(c, s.momentum, v.momentum, stepsOf(c, v.momentum.length), 'momentum');
          const adam = series(c.raw.beta1_with_adam, 'beta1_with_adam');
          if (adam) compare(c, s.momentum, adam, stepsOf(c, adam.length), 'Adam beta1');
        }
      }
    });
  }
});
