import { describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import {
  asSchedule, checkSchedule, constant, cosine, cosineWarmRestarts, exponential, exponentialDecay, inverseTime,
  linear, linearDecayThenConstant, linearLR, momentumWarmup, multiStep, oneCycle, ramp, step, warmup,
  type Schedule,
} from '../src/optim/schedules.js';
import { reduceOnPlateau, type PlateauOptions, type PlateauState } from '../src/optim/plateau.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** |a − b| ≤ rel·|b| (exact when b = 0). */
function close(a: number, b: number, rel = 1e-14, what = ''): void {
  if (!(Math.abs(a - b) <= rel * Math.abs(b))) {
    expect.fail(`${what}: got ${a}, expected ${b} (rel. error ${Math.abs(a - b) / Math.abs(b)})`);
  }
}

function agree(s: Schedule, ref: (t: number) => number, n: number, rel = 1e-14): void {
  for (let t = 0; t < n; t++) close(s(t), ref(t), rel, `step ${t}`);
}

function throwsDescent(f: () => unknown, message: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a DescentError matching ${message}`).toBeInstanceOf(DescentError);
  expect((err as Error).message).toMatch(message);
}

describe('step-decay schedules', () => {
  it('constant', () => {
    const s = constant(0.3);
    for (const t of [0, 1, 7, 1e6]) expect(s(t)).toBe(0.3);
    expect(constant(0)(5)).toBe(0);
  });

  it('step: lr0·γ^⌊t/stepSize⌋, the decay lands exactly at multiples of stepSize (StepLR)', () => {
    const s = step(0.1, { stepSize: 3, gamma: 0.5 });
    // Reference: PyTorch's recursive form, multiply by γ when t is a positive multiple of stepSize.
    let lr = 0.1;
    for (let t = 0; t < 100; t++) {
      if (t > 0 && t % 3 === 0) lr *= 0.5;
      close(s(t), lr, 1e-14, `t=${t}`);
    }
    expect(s(2)).toBe(0.1);
    expect(s(3)).toBe(0.05);
    expect(s(5)).toBe(0.05);
    expect(s(6)).toBe(0.025);
    expect(step(1, { stepSize: 10 })(10)).toBeCloseTo(0.1, 15); // default γ = 0.1
  });

  it('multiStep: γ^(number of milestones ≤ t), boundaries at the milestones (MultiStepLR)', () => {
    const ms = [2, 5, 9, 30];
    const s = multiStep(0.2, { milestones: ms, gamma: 0.3 });
    agree(s, (t) => 0.2 * 0.3 ** ms.filter((m) => m <= t).length, 60);
    expect(s(1)).toBe(0.2);
    close(s(2), 0.2 * 0.3, 1e-15);
    close(s(4), 0.2 * 0.3, 1e-15);
    close(s(5), 0.2 * 0.09, 1e-15);
    close(s(29), 0.2 * 0.3 ** 3, 1e-15);
    close(s(30), 0.2 * 0.3 ** 4, 1e-15);
    expect(multiStep(0.2, { milestones: [0] })(0)).toBeCloseTo(0.02, 16); // milestone 0 applies at once
    expect(multiStep(0.2, { milestones: [] })(1000)).toBe(0.2);
  });

  it('exponential, exponentialDecay, inverseTime', () => {
    let lr = 0.1;
    const e = exponential(0.1, { gamma: 0.97 });
    for (let t = 0; t < 500; t++, lr *= 0.97) close(e(t), lr, 1e-13, `exponential t=${t}`);
    agree(exponentialDecay(0.5, { k: 0.01 }), (t) => 0.5 / Math.exp(0.01 * t), 1000);
    expect(exponentialDecay(0.5, { k: 0 })(77)).toBe(0.5);
    agree(inverseTime(0.5, { k: 0.1 }), (t) => 1 / (2 + 0.2 * t), 1000);
    expect(inverseTime(0.5, { k: 0.1 })(10)).toBe(0.25);
  });
});

describe('linear schedules', () => {
  it('linear / ramp: interpolate, reach `to` at t = steps, then hold', () => {
    for (const s of [linear(0.2, 1, { steps: 8 }), ramp(0.2, 1, 8)]) {
      agree(s, (t) => (t >= 8 ? 1 : 0.2 * (1 - t / 8) + (1 * t) / 8), 20);
      expect(s(0)).toBe(0.2);
      expect(s(4)).toBeCloseTo(0.6, 15);
      expect(s(8)).toBe(1);
      expect(s(100)).toBe(1);
    }
    expect(linear(1, 0, { steps: 4 })(3)).toBe(0.25); // decreasing works too
    expect(ramp(0.1, 0.9, 0)(0)).toBe(0.9);
  });

  it('linearLR equals PyTorch LinearLR (its recursive form computed here) and its defaults', () => {
    for (const [lr0, sf, ef, T] of [
      [0.1, 1 / 3, 1, 5],
      [0.05, 0.05, 0.5, 40],
      [1, 1, 0, 7],
    ]) {
      const s = linearLR(lr0, { startFactor: sf, endFactor: ef, totalIters: T });
      let lr = lr0 * sf;
      for (let t = 0; t < T + 20; t++) {
        if (t > 0 && t <= T) lr *= 1 + (ef - sf) / (T * sf + (t - 1) * (ef - sf));
        close(s(t), lr, 1e-13, `linearLR(${lr0}, ${sf}, ${ef}, ${T}) t=${t}`);
      }
      close(s(T), lr0 * ef, 1e-15, 'at totalIters');
    }
    const d = linearLR(0.3);
    close(d(0), 0.1, 1e-15, 'default start');
    close(d(5), 0.3, 1e-15, 'default end');
    expect(d(6)).toBe(d(5));
  });

  it('linearDecayThenConstant: the lecture rule (1 − t/τ)α₀ + (t/τ)α_τ, α_τ from τ on', () => {
    const s = linearDecayThenConstant(0.1, 0.001, { tau: 200 });
    agree(s, (t) => (t < 200 ? 0.1 - ((0.1 - 0.001) * t) / 200 : 0.001), 400, 1e-13);
    expect(s(0)).toBe(0.1);
    close(s(100), 0.0505, 1e-15);
    close(s(199), 0.001 + 0.099 / 200, 1e-13);
    expect(s(200)).toBe(0.001);
    expect(s(10_000)).toBe(0.001);
  });

  it('momentumWarmup: 0.5 → 0.99 by default, both call forms', () => {
    const a = momentumWarmup({ steps: 10 });
    const b = momentumWarmup(undefined, undefined, { steps: 10 });
    const c = momentumWarmup(0.5, 0.99, { steps: 10 });
    for (const t of range(15)) {
      const want = t >= 10 ? 0.99 : 0.5 + (0.49 * t) / 10;
      close(a(t), want, 1e-15, `t=${t}`);
      expect(b(t)).toBe(a(t));
      expect(c(t)).toBe(a(t));
    }
    expect(momentumWarmup({ steps: 4, from: 0, to: 0.9 })(2)).toBeCloseTo(0.45, 15);
  });
});

describe('cosine schedules', () => {
  it('cosine: closed form, PyTorch recursive form agrees; t = tMax gives ηmin; rises again past tMax', () => {
    for (const [lr0, tMax, etaMin] of [
      [0.1, 10, 0.001],
      [0.1, 100, 0],
      [2, 7, 0.5],
    ]) {
      const s = cosine(lr0, { tMax, etaMin });
      // (t/tMax)·π rounds differently from π·t/tMax: near the minima (1 + cos) cancels, so compare
      // on the scale of lr0 there.
      for (let t = 0; t < 5 * tMax; t++) {
        const want = etaMin + ((lr0 - etaMin) * (1 + Math.cos((t / tMax) * Math.PI))) / 2;
        expect(Math.abs(s(t) - want)).toBeLessThanOrEqual(1e-14 * lr0);
      }
      // PyTorch CosineAnnealingLR's recursive form (its default), independently.
      let lr = lr0;
      for (let t = 1; t <= 4 * tMax + 3; t++) {
        if ((t - 1 - tMax) % (2 * tMax) === 0) lr += ((lr0 - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
        else lr = ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) * (lr - etaMin) + etaMin;
        expect(Math.abs(s(t) - lr)).toBeLessThanOrEqual(1e-13 * lr0);
      }
      expect(s(0)).toBe(lr0);
      expect(s(tMax)).toBe(etaMin);
      for (const k of [1, 2, 3]) close(s(tMax + k), s(tMax - k), 1e-12, 'mirror past tMax');
      close(s(2 * tMax), lr0, 1e-15, 'period 2·tMax');
    }
    close(cosine(1, { tMax: 10 })(5), 0.5, 1e-15, 'half way');
  });

  it('cosineWarmRestarts: PyTorch stepping simulated here; restarts at 0, t0, t0(1+m), …', () => {
    for (const [lr0, t0, tMult, etaMin] of [
      [0.1, 5, 1, 0.01],
      [0.1, 3, 2, 0],
      [1, 1, 3, 0.1],
      [0.5, 4, 1, 0],
    ]) {
      const s = cosineWarmRestarts(lr0, { t0, tMult, etaMin });
      let Ti = t0;
      let Tcur = 0;
      for (let t = 0; t < 300; t++) {
        if (t > 0) {
          Tcur += 1;
          if (Tcur >= Ti) {
            Tcur -= Ti;
            Ti *= tMult;
          }
        }
        const want = etaMin + ((lr0 - etaMin) * (1 + Math.cos((Math.PI * Tcur) / Ti))) / 2;
        close(s(t), want, 1e-15, `t0=${t0} tMult=${tMult} t=${t}`);
        if (Tcur === 0) expect(s(t)).toBe(lr0);
      }
    }
    const s = cosineWarmRestarts(1, { t0: 3, tMult: 2 });
    for (const r of [0, 3, 9, 21, 45, 93]) expect(s(r)).toBe(1);
    close(s(8), (1 + Math.cos((5 * Math.PI) / 6)) / 2, 1e-15, 'last step of the 6-step cycle');
    close(s(20), (1 + Math.cos((11 * Math.PI) / 12)) / 2, 1e-15, 'last step of the 12-step cycle');
    const c = cosine(1, { tMax: 4 });
    const r = cosineWarmRestarts(1, { t0: 4 });
    for (const t of range(4)) expect(r(t)).toBe(c(t));
    for (const t of range(4)) expect(r(t + 4)).toBe(c(t));
  });
});

describe('warmup (composable)', () => {
  it('warmup over cosine: ramp to cosine(0), then cosine(t − steps)', () => {
    const inner = cosine(0.4, { tMax: 50, etaMin: 0.01 });
    const s = warmup(inner, { steps: 10 });
    for (let t = 0; t < 10; t++) close(s(t), (0.4 * t) / 10, 1e-15, `warm-up t=${t}`);
    expect(s(0)).toBe(0);
    expect(s(10)).toBe(0.4); // the main schedule starts after the warm-up
    for (let t = 10; t < 100; t++) expect(s(t)).toBe(inner(t - 10));
    expect(s(60)).toBe(0.01); // inner's tMax lands at steps + tMax
    for (let t = 1; t <= 10; t++) expect(s(t)).toBeGreaterThan(s(t - 1));
  });

  it('startFactor, steps = 0, nesting, and any inner schedule', () => {
    const inner = step(0.1, { stepSize: 5 });
    const s = warmup(inner, { steps: 4, startFactor: 0.2 });
    for (let t = 0; t < 4; t++) close(s(t), 0.1 * (0.2 + (0.8 * t) / 4), 1e-15, `t=${t}`);
    expect(s(4)).toBe(0.1);
    close(s(9), 0.01, 1e-15, 'inner decays 5 steps after warm-up ends');
    const id = warmup(inner, { steps: 0 });
    for (const t of range(20)) expect(id(t)).toBe(inner(t));
    const twice = warmup(warmup(constant(1), { steps: 2 }), { steps: 2, startFactor: 0.5 });
    expect(range(6).map(twice)).toEqual([0, 0, 0, 0.5, 1, 1]); // outer ramps toward inner(0) = 0
    const user = warmup((t) => 1 / (t + 1), { steps: 2, startFactor: 0.5 });
    expect(range(5).map(user)).toEqual([0.5, 0.75, 1, 0.5, 1 / 3]);
  });
});

describe('oneCycle (PyTorch OneCycleLR)', () => {
  it('matches values recorded from PyTorch 1.13 (max_lr=1, total_steps=10)', () => {
    // torch.optim.lr_scheduler.OneCycleLR(SGD(momentum=0.9), max_lr=1.0, total_steps=10); lr and
    // momentum after 0..10 calls of step().
    const lr = [
      0.040000000000000036, 0.52, 1.0, 0.9504846320134737, 0.8117456539497631, 0.6112620219362893,
      0.38874197806371075, 0.18825834605023697, 0.049519367986526286, 4e-6, 0.04951936798652623,
    ];
    const mom = [
      0.95, 0.8999999999999999, 0.85, 0.854951556604879, 0.8688255099070633, 0.8888739533021842,
      0.9111260466978157, 0.9311744900929366, 0.945048443395121, 0.95, 0.945048443395121,
    ];
    const o = oneCycle({ maxLr: 1, totalSteps: 10 });
    for (const t of range(11)) {
      close(o.lr(t), lr[t], 1e-14, `lr t=${t}`);
      close(o.momentum(t), mom[t], 1e-14, `momentum t=${t}`);
    }
  });

  it('two phases, cos: endpoints, peak at ⌊pctStart·T⌋ − 1, formula in between', () => {
    const maxLr = 0.3;
    const T = 100;
    const o = oneCycle({ maxLr, totalSteps: T });
    const init = maxLr / 25;
    const min = init / 1e4;
    const cosAnneal = (a: number, b: number, x: number) => b + ((a - b) * (1 + Math.cos(Math.PI * x))) / 2;
    for (let t = 0; t <= T; t++) {
      const [a, b, x, ma, mb] = t <= 29 ? [init, maxLr, t / 29, 0.95, 0.85] : [maxLr, min, (t - 29) / 70, 0.85, 0.95];
      close(o.lr(t), cosAnneal(a, b, x), 1e-13, `lr t=${t}`);
      close(o.momentum(t), cosAnneal(ma, mb, x), 1e-14, `momentum t=${t}`);
    }
    close(o.lr(0), init, 1e-14, 'start');
    expect(o.lr(29)).toBe(maxLr);
    expect(o.momentum(29)).toBe(0.85);
    expect(o.lr(99)).toBe(min);
    expect(o.momentum(99)).toBe(0.95);
    expect(o.lr(100)).toBeGreaterThan(min); // t = totalSteps: PyTorch's extrapolation past the end
    throwsDescent(() => o.lr(101), /step 101 is past totalSteps 100/);
  });

  it('linear and three-phase', () => {
    const o = oneCycle({ maxLr: 1, totalSteps: 41, pctStart: 0.25, annealStrategy: 'linear', divFactor: 10, finalDivFactor: 100 });
    const p = 0.25 * 41 - 1; // 9.25: the peak lies between steps 9 and 10
    for (let t = 0; t < 41; t++) {
      const want = t <= p ? 0.1 + (0.9 * t) / p : 1 + ((0.001 - 1) * (t - p)) / (40 - p);
      close(o.lr(t), want, 1e-13, `linear t=${t}`);
    }
    const three = oneCycle({ maxLr: 0.2, totalSteps: 100, threePhase: true });
    expect(three.lr(29)).toBe(0.2);
    close(three.lr(58), 0.2 / 25, 1e-14, 'back to initialLr at 2p − 2');
    for (const k of range(29)) close(three.lr(29 + k), three.lr(29 - k), 1e-12, `symmetric about the peak, k=${k}`);
    for (const t of [58, 70, 99]) expect(three.momentum(t)).toBe(0.95);
    close(three.lr(99), 0.2 / 25 / 1e4, 1e-14, 'end');
    const m = oneCycle({ maxLr: 1, totalSteps: 20, baseMomentum: 0.8, maxMomentum: 0.9 });
    close(m.momentum(0), 0.9, 1e-15, 'momentum starts at maxMomentum');
    expect(m.momentum(5)).toBe(0.8);
  });

  it('rejects a zero-length phase (PyTorch divides by zero there) and bad options', () => {
    throwsDescent(() => oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 0.1 }), /oneCycle: pctStart·totalSteps = 1 leaves a phase of zero length/);
    throwsDescent(() => oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 1 }), /zero length/);
    throwsDescent(() => oneCycle({ maxLr: 0, totalSteps: 10 }), /oneCycle: maxLr must be positive, got 0/);
    throwsDescent(() => oneCycle({ maxLr: 1, totalSteps: 10.5 }), /oneCycle: totalSteps must be a positive integer, got 10.5/);
    throwsDescent(() => oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 1.5 }), /oneCycle: pctStart must be in \[0, 1\], got 1.5/);
    throwsDescent(() => oneCycle({ maxLr: 1, totalSteps: 10, annealStrategy: 'exp' as 'cos' }), /annealStrategy must be 'cos' or 'linear', got "exp"/);
    throwsDescent(() => oneCycle({ maxLr: 1, totalSteps: 10, divFactor: -1 }), /oneCycle: divFactor must be positive/);
    throwsDescent(() => oneCycle({ maxLr: 1, totalSteps: 10, maxMomentum: 1 }), /oneCycle: maxMomentum must be in \[0, 1\), got 1/);
    throwsDescent(() => oneCycle(undefined as never), /oneCycle: options must be an object/);
  });
});

describe('validation', () => {
  it('factories name the option and the problem', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => constant(-1), /constant: value must be ≥ 0, got -1/],
      [() => constant(NaN), /constant: value must be a finite number, got NaN/],
      [() => step(0, { stepSize: 3 }), /step: lr0 must be positive, got 0/],
      [() => step(0.1, { stepSize: 0 }), /step: stepSize must be a positive integer, got 0/],
      [() => step(0.1, { stepSize: 2.5 }), /step: stepSize must be a positive integer, got 2.5/],
      [() => step(0.1, { stepSize: 3, gamma: Infinity }), /step: gamma must be a finite number, got Infinity/],
      [() => multiStep(0.1, { milestones: [5, 3] }), /multiStep: milestones must be strictly increasing, got \[5, 3\]/],
      [() => multiStep(0.1, { milestones: [3, 3] }), /strictly increasing/],
      [() => multiStep(0.1, { milestones: [1, -2] }), /multiStep: milestones\[1\] must be a non-negative integer, got -2/],
      [() => multiStep(0.1, { milestones: 5 as unknown as number[] }), /multiStep: milestones must be an array/],
      [() => exponential(0.1, { gamma: 0 }), /exponential: gamma must be positive, got 0/],
      [() => exponential(0.1, {} as { gamma: number }), /exponential: gamma must be a finite number, got undefined/],
      [() => exponentialDecay(0.1, { k: -0.1 }), /exponentialDecay: k must be ≥ 0, got -0.1/],
      [() => inverseTime(-1, { k: 1 }), /inverseTime: lr0 must be positive, got -1/],
      [() => linear(0.1, 1, { steps: -1 }), /linear: steps must be a non-negative integer, got -1/],
      [() => ramp(-0.1, 1, 5), /ramp: from must be ≥ 0/],
      [() => linearLR(0.1, { startFactor: 0 }), /linearLR: startFactor must be in \(0, 1\], got 0/],
      [() => linearLR(0.1, { endFactor: 1.5 }), /linearLR: endFactor must be in \[0, 1\], got 1.5/],
      [() => linearLR(0.1, { totalIters: 0 }), /linearLR: totalIters must be a positive integer/],
      [() => linearDecayThenConstant(0.1, -0.001, { tau: 5 }), /linearDecayThenConstant: lrTau must be ≥ 0/],
      [() => linearDecayThenConstant(0.1, 0.001, { tau: 0 }), /linearDecayThenConstant: tau must be a positive integer, got 0/],
      [() => cosine(0.1, { tMax: 0 }), /cosine: tMax must be a positive integer, got 0/],
      [() => cosine(0.1, { tMax: 10, etaMin: -1 }), /cosine: etaMin must be ≥ 0, got -1/],
      [() => cosineWarmRestarts(0.1, { t0: 5, tMult: 1.5 }), /cosineWarmRestarts: tMult must be a positive integer, got 1.5/],
      [() => cosineWarmRestarts(0.1, { t0: 0 }), /cosineWarmRestarts: t0 must be a positive integer/],
      [() => warmup(0.1 as unknown as Schedule, { steps: 5 }), /warmup: schedule must be a schedule, a function \(step\) => number, got number/],
      [() => warmup(constant(1), { steps: 5, startFactor: 2 }), /warmup: startFactor must be in \[0, 1\], got 2/],
      [() => warmup(constant(1), { steps: 1.5 }), /warmup: steps must be a non-negative integer, got 1.5/],
      [() => momentumWarmup({ steps: 5, to: 1 }), /momentumWarmup: to must be in \[0, 1\), got 1/],
      [() => momentumWarmup({ steps: -5 }), /momentumWarmup: steps must be a non-negative integer, got -5/],
      [() => momentumWarmup({} as { steps: number }), /momentumWarmup: steps must be a non-negative integer, got undefined/],
    ];
    for (const [f, re] of cases) throwsDescent(f, re);
  });

  it('every schedule rejects a negative or non-integer step, naming itself', () => {
    const all: [string, Schedule][] = [
      ['constant', constant(1)],
      ['step', step(0.1, { stepSize: 3 })],
      ['multiStep', multiStep(0.1, { milestones: [3] })],
      ['exponential', exponential(0.1, { gamma: 0.9 })],
      ['exponentialDecay', exponentialDecay(0.1, { k: 0.1 })],
      ['inverseTime', inverseTime(0.1, { k: 0.1 })],
      ['linear', linear(0, 1, { steps: 3 })],
      ['ramp', ramp(0, 1, 3)],
      ['linearLR', linearLR(0.1)],
      ['linearDecayThenConstant', linearDecayThenConstant(0.1, 0.001, { tau: 3 })],
      ['cosine', cosine(0.1, { tMax: 3 })],
      ['cosineWarmRestarts', cosineWarmRestarts(0.1, { t0: 3 })],
      ['warmup', warmup(constant(1), { steps: 3 })],
      ['oneCycle', oneCycle({ maxLr: 1, totalSteps: 30 }).lr],
      ['oneCycle', oneCycle({ maxLr: 1, totalSteps: 30 }).momentum],
      ['momentumWarmup', momentumWarmup({ steps: 3 })],
    ];
    for (const [name, s] of all) {
      for (const bad of [-1, 1.5, NaN, Infinity, '2' as unknown as number]) {
        const shown = typeof bad === 'string' ? '"2"' : String(bad);
        throwsDescent(() => s(bad), new RegExp(`^${name}\\(.*\\)(\\.\\w+)?: step must be a non-negative integer, got ${shown}$`));
      }
      expect(Number.isFinite(s(0))).toBe(true);
    }
    throwsDescent(() => cosine(0.1, { tMax: 100, etaMin: 0.001 })(-3), /^cosine\(0\.1, \{ tMax: 100, etaMin: 0\.001 \}\): step must be/);
  });
});

describe('checkSchedule / asSchedule', () => {
  it('names the option, the bad value and the step', () => {
    const bad = checkSchedule((t) => (t === 12 ? NaN : 0.1), 'lr schedule');
    expect(bad(11)).toBe(0.1);
    throwsDescent(() => bad(12), /^lr schedule returned NaN at step 12: expected a finite number ≥ 0$/);
    throwsDescent(() => checkSchedule(() => -0.5, 'momentum schedule')(3), /momentum schedule returned -0.5 at step 3/);
    throwsDescent(() => checkSchedule(() => Infinity, 'lr schedule')(0), /lr schedule returned Infinity at step 0/);
    throwsDescent(() => checkSchedule((() => '0.1') as unknown as Schedule, 'lr schedule')(0), /lr schedule returned "0.1" at step 0/);
    throwsDescent(() => checkSchedule((() => undefined) as unknown as Schedule, 'lr schedule')(0), /returned undefined at step 0/);
    throwsDescent(() => checkSchedule(() => 1, 'lr schedule')(-1), /^lr schedule: step must be a non-negative integer, got -1$/);
    throwsDescent(() => checkSchedule(0.1 as unknown as Schedule, 'lr schedule'), /lr schedule must be a schedule, a function/);
    const ok = checkSchedule(cosine(0.1, { tMax: 10 }), 'lr schedule');
    for (const t of range(30)) expect(ok(t)).toBe(cosine(0.1, { tMax: 10 })(t));
    expect(checkSchedule(() => 0, 'weight decay schedule')(5)).toBe(0);
  });

  it('asSchedule accepts a number or a schedule', () => {
    expect(asSchedule(0.01, 'lr')(1000)).toBe(0.01);
    expect(asSchedule((t) => t, 'lr')(7)).toBe(7);
    throwsDescent(() => asSchedule(-1, 'lr'), /lr must be a finite number ≥ 0 or a schedule/);
    throwsDescent(() => asSchedule(NaN, 'lr'), /got NaN/);
    throwsDescent(() => asSchedule(() => NaN, 'lr')(2), /lr returned NaN at step 2/);
  });
});

describe('reduceOnPlateau (PyTorch ReduceLROnPlateau)', () => {
  /** The PyTorch algorithm, written out independently for the comparison. */
  function reference(lr: number, metrics: number[], o: Required<PlateauOptions>): number[] {
    let best = o.mode === 'min' ? Infinity : -Infinity;
    let bad = 0;
    let cool = 0;
    const out: number[] = [];
    for (const a of metrics) {
      const better =
        o.mode === 'min'
          ? o.thresholdMode === 'rel' ? a < best * (1 - o.threshold) : a < best - o.threshold
          : o.thresholdMode === 'rel' ? a > best * (1 + o.threshold) : a > best + o.threshold;
      if (better) [best, bad] = [a, 0];
      else bad++;
      if (cool > 0) [cool, bad] = [cool - 1, 0];
      if (bad > o.patience) {
        const next = Math.max(lr * o.factor, o.minLr);
        if (lr - next > o.eps) lr = next;
        [cool, bad] = [o.cooldown, 0];
      }
      out.push(lr);
    }
    return out;
  }

  const defaults = { mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minLr: 0, eps: 1e-8 } as const;

  it('patience: the lr drops at the (patience+1)-th bad evaluation in a row', () => {
    const p = reduceOnPlateau(1, { patience: 2, factor: 0.5 });
    expect(p.step(10)).toBe(1); // first metric: always an improvement on +∞
    expect(p.step(10)).toBe(1); // bad 1
    expect(p.step(10)).toBe(1); // bad 2
    expect(p.step(10)).toBe(0.5); // bad 3 > patience
    expect(p.step(10)).toBe(0.5); // counter reset
    expect(p.step(9)).toBe(0.5); // improvement
    expect(p.state()).toEqual({ lr: 0.5, best: 9, numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 6 });
    const zero = reduceOnPlateau(1, { patience: 0, factor: 0.5 });
    expect([5, 6, 7, 4, 4].map((m) => zero.step(m))).toEqual([1, 0.5, 0.25, 0.25, 0.125]);
  });

  it('threshold (rel/abs), mode max, cooldown, minLr, eps, NaN', () => {
    // rel: 0.99995 is not < 1·(1 − 1e-4): no improvement
    const rel = reduceOnPlateau(1, { patience: 0 });
    rel.step(1);
    expect(rel.step(0.99995)).toBeCloseTo(0.1, 16);
    // abs: needs a drop of more than 0.5
    const abs = reduceOnPlateau(1, { patience: 0, thresholdMode: 'abs', threshold: 0.5, factor: 0.5 });
    expect([10, 9.6, 9.4, 9.0].map((m) => abs.step(m))).toEqual([1, 0.5, 0.5, 0.25]);
    // max mode
    const max = reduceOnPlateau(1, { mode: 'max', patience: 1, factor: 0.5 });
    expect([0.5, 0.6, 0.6, 0.6, 0.7, 0.6, 0.6].map((m) => max.step(m))).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
    // cooldown: 2 evaluations after a drop do not count
    const cd = reduceOnPlateau(1, { patience: 0, cooldown: 2, factor: 0.5 });
    expect([1, 2, 2, 2, 2, 2, 2].map((m) => cd.step(m))).toEqual([1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]);
    // minLr floors the lr; eps skips reductions smaller than eps
    const fl = reduceOnPlateau(1, { patience: 0, minLr: 0.05 });
    expect([1, 2, 2, 2].map((m) => fl.step(m))).toEqual([1, 0.1, 0.05, 0.05]);
    // eps = 1e-8: 4e-8 → 2e-8 is a drop of 2e-8 > eps; 2e-8 → 1e-8 drops exactly eps, not more: skipped
    const ep = reduceOnPlateau(4e-8, { patience: 0, factor: 0.5 });
    expect([1, 2, 2, 2].map((m) => ep.step(m))).toEqual([4e-8, 2e-8, 2e-8, 2e-8]);
    expect(ep.state().cooldownCounter).toBe(0);
    // NaN never improves: counted as bad
    const nan = reduceOnPlateau(1, { patience: 1, factor: 0.5 });
    expect([1, NaN, NaN, 0.5].map((m) => nan.step(m))).toEqual([1, 1, 0.5, 0.5]);
    expect(nan.current()).toBe(0.5);
    expect(nan.asSchedule()(123)).toBe(0.5);
  });

  it('agrees with the algorithm written out independently on long random runs', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const configs = [
      {},
      { patience: 2 },
      { patience: 1, cooldown: 2, factor: 0.5 },
      { mode: 'max', patience: 2, threshold: 0.01 },
      { thresholdMode: 'abs', threshold: 0.05, patience: 0, minLr: 0.002, factor: 0.3 },
      { mode: 'max', thresholdMode: 'abs', threshold: 0.1, patience: 1, cooldown: 1, eps: 1e-3, factor: 0.5 },
    ] as const;
    for (const c of configs) {
      const o = { ...defaults, ...c };
      // improving quickly, then a noisy plateau (±2%), and one NaN
      const metrics = range(300).map((i) => {
        const loss = (0.3 + 1 / (1 + i / 10)) * (1 + 0.04 * (rnd() - 0.5));
        return i === 50 ? NaN : o.mode === 'min' ? loss : 2 - loss;
      });
      const p = reduceOnPlateau(0.1, c);
      const got = metrics.map((x) => p.step(x));
      expect(got).toEqual(reference(0.1, metrics, o));
      expect(new Set(got).size).toBeGreaterThan(2); // the run does reduce
    }
  });

  it('state() / load() resume exactly, also through JSON (best = null before any improvement)', () => {
    const metrics = [3, 2.5, 2.6, 2.6, 2.4, 2.45, 2.5, 2.5, 2.5, 2.1, 2.2, 2.2, 2.2, 2.2, 2.2];
    const opts = { patience: 1, cooldown: 1, factor: 0.5 };
    const full = reduceOnPlateau(0.2, opts);
    const want = metrics.map((x) => full.step(x));
    for (let cut = 0; cut <= metrics.length; cut++) {
      const a = reduceOnPlateau(0.2, opts);
      metrics.slice(0, cut).forEach((x) => a.step(x));
      const saved = JSON.parse(JSON.stringify(a.state())) as PlateauState;
      const b = reduceOnPlateau(0.2, opts);
      b.load(saved);
      expect(b.state()).toEqual(a.state());
      expect(metrics.slice(cut).map((x) => b.step(x))).toEqual(want.slice(cut));
    }
    const fresh = reduceOnPlateau(0.2, { mode: 'max' });
    expect(fresh.state()).toEqual({ lr: 0.2, best: null, numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 0 });
    fresh.load(JSON.parse(JSON.stringify(fresh.state())) as PlateauState);
    expect(fresh.step(-1e300)).toBe(0.2); // best was restored as −∞, so this improves
    expect(fresh.state().best).toBe(-1e300);
  });

  it('validates options, metrics and loaded states', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => reduceOnPlateau(0), /reduceOnPlateau: lr0 must be a positive finite number, got 0/],
      [() => reduceOnPlateau(0.1, { mode: 'low' as 'min' }), /reduceOnPlateau: mode must be 'min' or 'max', got "low"/],
      [() => reduceOnPlateau(0.1, { factor: 1 }), /reduceOnPlateau: factor must be in \(0, 1\), got 1/],
      [() => reduceOnPlateau(0.1, { factor: 0 }), /factor must be in \(0, 1\), got 0/],
      [() => reduceOnPlateau(0.1, { patience: -1 }), /reduceOnPlateau: patience must be a non-negative integer, got -1/],
      [() => reduceOnPlateau(0.1, { threshold: NaN }), /reduceOnPlateau: threshold must be a finite number ≥ 0, got NaN/],
      [() => reduceOnPlateau(0.1, { thresholdMode: 'pct' as 'rel' }), /thresholdMode must be 'rel' or 'abs', got "pct"/],
      [() => reduceOnPlateau(0.1, { cooldown: 0.5 }), /cooldown must be a non-negative integer, got 0.5/],
      [() => reduceOnPlateau(0.1, { minLr: -1 }), /minLr must be a finite number ≥ 0, got -1/],
      [() => reduceOnPlateau(0.1, { eps: Infinity }), /eps must be a finite number ≥ 0, got Infinity/],
      [() => reduceOnPlateau(0.1).step('0.5' as unknown as number), /reduceOnPlateau: step: metric must be a number, got "0.5"/],
      [() => reduceOnPlateau(0.1).load(null as unknown as PlateauState), /load: state must be an object from state\(\)/],
      [() => reduceOnPlateau(0.1).load({ lr: -1, best: null, numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 0 }), /load: state.lr must be a positive finite number, got -1/],
      [() => reduceOnPlateau(0.1).load({ lr: 1, best: 'x' as unknown as number, numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 0 }), /state.best must be a number or null/],
      [() => reduceOnPlateau(0.1).load({ lr: 1, best: null, numBadEpochs: 1.5, cooldownCounter: 0, lastEpoch: 0 }), /state.numBadEpochs must be a non-negative integer, got 1.5/],
      [() => reduceOnPlateau(0.1).asSchedule()(-1), /reduceOnPlateau schedule: step must be a non-negative integer, got -1/],
    ];
    for (const [f, re] of cases) throwsDescent(f, re);
  });
});
