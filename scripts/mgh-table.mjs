// Writes docs/mgh.md: every minimizer with default options on the 41 Moré–Garbow–Hillstrom
// instances — value and gradient evaluations (Hessians for Newton, residuals/Jacobians for LM),
// the final f, and whether it reached f* (|f − f*| ≤ 1e-4·|f*| + 1e-8). Run after `npm run build`:
//   node scripts/mgh-table.mjs
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as d from '../dist/node/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const methods = [
  ['steepest descent', { method: 'steepest-descent' }],
  ['CG FR', { method: 'cg', cg: { beta: 'fr' } }], ['CG PR', { method: 'cg', cg: { beta: 'pr' } }],
  ['CG PR+', { method: 'cg', cg: { beta: 'pr+' } }], ['CG HS', { method: 'cg', cg: { beta: 'hs' } }],
  ['CG DY', { method: 'cg', cg: { beta: 'dy' } }], ['CG HZ (CG_DESCENT)', { method: 'cg', cg: { beta: 'hz' } }],
  ['BFGS', { method: 'bfgs' }], ['L-BFGS', { method: 'lbfgs' }], ['Newton', { method: 'newton' }],
  ['Newton-CG', { method: 'newton-cg' }], ['LM', { method: 'lm' }],
];
const scipy = { BFGS: 31, 'L-BFGS': 26, 'CG PR+': 26, 'Newton-CG': 29 };
// SciPy run on these same functions (scripts/scipy-mgh.py → docs/mgh-scipy.json), when present
const scipyFile = join(fileURLToPath(new URL('..', import.meta.url)), 'docs', 'mgh-scipy.json');
const measured = existsSync(scipyFile) ? JSON.parse(readFileSync(scipyFile, 'utf8')) : undefined;
const scipyName = { BFGS: 'BFGS', 'L-BFGS': 'L-BFGS-B', 'CG PR+': 'CG', 'CG HZ (CG_DESCENT)': 'CG', 'Newton-CG': 'Newton-CG' };
const scipyRun = (label) => measured?.methods[scipyName[label]];
const problems = d.mghProblems();
const reached = (f, fStar) => Math.abs(f - fStar) <= 1e-4 * Math.abs(fStar) + 1e-8;
const totals = methods.map(() => ({ reached: 0, value: 0, gradient: 0, ms: 0, both: 0, oursBoth: 0, scipyBoth: 0 }));
const sections = [];
for (const [mi, [label, settings]] of methods.entries()) {
  const rows = [];
  for (const p of problems) {
    const t0 = performance.now();
    const r = d.minimize(p.objective, p.x0, settings);
    const ms = performance.now() - t0;
    const ok = reached(r.value, p.fStar);
    const t = totals[mi];
    t.reached += ok ? 1 : 0; t.value += r.evaluations.value + r.evaluations.residuals; t.gradient += r.evaluations.gradient + r.evaluations.jacobian; // LM: r and J t.ms += ms;
    const e = r.evaluations;
    const evals = settings.method === 'lm' ? `${e.residuals} r, ${e.jacobian} J` : `${e.value} f, ${e.gradient} g${e.hessian ? `, ${e.hessian} H` : ''}${e.hessianVector ? `, ${e.hessianVector} Hv` : ''}`;
    const sp = scipyRun(label)?.instances.find((s) => s.name === p.name);
    if (sp?.reached && ok) { t.both++; t.oursBoth += r.evaluations.value; t.scipyBoth += sp.nfev; }
    const spCell = scipyRun(label) ? ` | ${sp ? (sp.error ? 'error' : `${sp.nfev} f, ${sp.njev} g${sp.nhev ? `, ${sp.nhev} Hv` : ''} ${sp.reached ? '✓' : '✗'}`) : '—'}` : '';
    rows.push(`| ${p.name} | ${p.n} | ${p.m} | ${p.fStar.toPrecision(6)} | ${r.value.toPrecision(6)} | ${ok ? '✓' : '✗'} | ${r.iterations} | ${evals} | ${r.reason}${spCell} |`);
  }
  const spHead = scipyRun(label) ? ` | SciPy ${scipyName[label]}` : '';
  sections.push(`### ${label}\n\n| instance | n | m | f* | f | reached | iterations | evaluations | reason${spHead} |\n|---|---|---|---|---|---|---|---|---${spHead ? '|---' : ''}|\n${rows.join('\n')}\n`);
  console.log(`${label}: ${totals[mi].reached}/41`);
}
// Levenberg–Marquardt against MINPACK's lmder — SciPy's least_squares(method='lm') — on the same
// functions (docs/minpack-lm.json, scripts/minpack-lm.py), residual + Jacobian evaluations on
// the instances both reach: at SciPy's tolerances (ftol = xtol = gtol = 1e-8), at descent's
// defaults, and the μ-damping form (the default before issue #16)
let lmSection = '';
const mpFile = join(fileURLToPath(new URL('..', import.meta.url)), 'docs', 'minpack-lm.json');
if (existsSync(mpFile)) {
  const mp = JSON.parse(readFileSync(mpFile, 'utf8'));
  const ref = mp.settings.least_squares.filter((s) => s.set === 'mgh');
  const lmRows = [], lmInst = new Map();
  for (const [label, lm] of [['ftol = xtol = gtol = 1e-8', { ftol: 1e-8, xtol: 1e-8, gtol: 1e-8 }], ['defaults (ftol 1e-14, xtol 1e-8, gtol 1e-10, geodesic acceleration)', {}], ["form 'damping' (before)", { form: 'damping' }]]) {
    let got = 0, notConv = 0, both = 0, ours = 0, theirs = 0;
    for (const p of problems) {
      const r = d.minimize(p.objective, p.x0, { method: 'lm', lm });
      const ok = reached(r.value, p.fStar);
      const m = ref.find((s) => s.name === p.name);
      const e = r.evaluations.residuals + r.evaluations.jacobian;
      got += ok ? 1 : 0;
      if (ok && !r.converged) notConv++;
      if (ok && m.reached) { both++; ours += e; theirs += m.nfev + m.njev; }
      if (!lmInst.has(p.name)) lmInst.set(p.name, `| ${p.name} | ${e} | ${ok ? '✓' : '✗'} | ${r.reason} | ${m.nfev + m.njev} | ${m.reached ? '✓' : '✗'} | ${m.info} |`);
    }
    lmRows.push(`| ${label} | ${got} | ${notConv} | ${both} | ${ours} | ${theirs} | ${(ours / theirs).toFixed(2)}× |`);
  }
  lmSection = `
### LM against MINPACK (SciPy ${mp.scipy} least_squares(method='lm'))

Residual + Jacobian evaluations on the instances both descent's LM and MINPACK's lmder reach,
MINPACK at least_squares' defaults (ftol = xtol = gtol = 1e-8, diag from J's column norms) through
\`scipy.optimize.leastsq\` with the analytic Jacobian on these same functions (scripts/minpack-lm.py
→ docs/minpack-lm.json). "not conv." counts runs that reach f* with a reason that is not a convergence.

| descent LM | reached | not conv. | both reach | descent r + J | MINPACK r + J | ratio |
|---|---|---|---|---|---|---|
${lmRows.join('\n')}

| instance | descent r + J (1e-8) | reached | reason | MINPACK r + J | reached | MINPACK info |
|---|---|---|---|---|---|---|
${[...lmInst.values()].join('\n')}
`;
}
const summary = methods.map(([label], i) => {
  const sp = scipyRun(label);
  const spTotals = sp ? sp.instances.reduce((a, s) => [a[0] + (s.nfev ?? 0), a[1] + (s.njev ?? 0)], [0, 0]) : undefined;
  return `| ${label} | ${totals[i].reached} | ${scipy[label] ?? '—'} | ${sp ? `${sp.reached} (${spTotals[0]} f, ${spTotals[1]} g)` : '—'} | ${totals[i].value} | ${totals[i].gradient} | ${totals[i].ms.toFixed(0)} |`;
}).join('\n');
// Evaluations next to SciPy's (issue #16) on the instances both reach, per method, at SciPy's
// default tolerance (‖g‖∞ ≤ 1e-5) and at descent's defaults; the N&W bracket-and-zoom search
// ('wolfe', the default before the Moré–Thuente search) for comparison
const vsScipy = [];
if (measured) {
  const settingsOf = (label) => methods.find(([l]) => l === label)[1];
  const rowsFor = [['BFGS'], ['L-BFGS'], ['CG PR+'], ['CG HZ (CG_DESCENT)'], ['Newton-CG']];
  for (const [label] of rowsFor) {
    for (const search of label.startsWith('CG HZ') ? ['hager-zhang'] : ['more-thuente', 'wolfe']) {
      const cells = [];
      for (const tol of [{ gradientTolerance: 1e-5, gradientNorm: 'inf' }, {}]) {
        let got = 0, both = 0, ours = 0, theirs = 0, failed = 0;
        for (const p of problems) {
          const base = settingsOf(label);
          const ls = search === 'wolfe' ? { lineSearch: label === 'CG PR+' ? { type: 'wolfe', c2: 0.1 } : 'wolfe' } : {};
          const cg = search === 'wolfe' && label === 'CG PR+' ? { cg: { beta: 'pr+', restart: p.n, powellRestart: true } } : {};
          const r = d.minimize(p.objective, p.x0, { ...base, ...ls, ...cg, ...tol });
          const ok = reached(r.value, p.fStar);
          got += ok ? 1 : 0;
          if (ok && !r.converged) failed++;
          const sp = scipyRun(label).instances.find((s) => s.name === p.name);
          if (ok && sp?.reached) { both++; ours += r.evaluations.value; theirs += sp.nfev; }
        }
        cells.push(`${got} | ${failed} | ${both} | ${ours} | ${theirs} | ${(ours / theirs).toFixed(2)}×`);
      }
      vsScipy.push(`| ${label} | ${search}${search === 'wolfe' ? '' : ' (default)'} | ${cells.join(' | ')} |`);
    }
  }
}
const cgLoose = '';
const bothLines = methods.map(([label], i) => (scipyRun(label) ? `${label} ${totals[i].oursBoth} vs ${totals[i].scipyBoth} (${totals[i].both} instances)` : undefined)).filter(Boolean).join(', ');
const md = `# Moré–Garbow–Hillstrom: every minimizer, default options

Generated by \`node scripts/mgh-table.mjs\` (node ${process.versions.node}). The 41 instances of
Moré, Garbow & Hillstrom (1981) as listed in src/problems/mgh.ts, from the paper's starting
points, \`minimize(problem.objective, x0, { method })\` with default options (gradient tolerance
1e-8, strong-Wolfe line searches, analytic gradients; Newton with the analytic Hessian; LM with
the analytic Jacobian). Reached: |f − f*| ≤ 1e-4·|f*| + 1e-8 with the paper's global f*.
Evaluation totals are over all 41 instances (a combined value-and-gradient call counts one of each).
The SciPy column comes from \`scripts/scipy-mgh.py\` (dev-time, Debian's python3-scipy), which
runs \`scipy.optimize.minimize\` with default options (jac=True; hessp for Newton-CG) on these
same functions served by \`scripts/mgh-server.mjs\`; its output is committed as docs/mgh-scipy.json.
${measured ? `On the instances both reach, f evaluations, descent vs SciPy (descent at its default gradient
tolerance 1e-8, SciPy at gtol = 1e-5 on ‖g‖∞, so descent runs further): ${bothLines}.${cgLoose}

## Evaluations against SciPy

Value evaluations (each a combined value-and-gradient call) on the instances both descent and
SciPy reach, at SciPy's tolerance (\`{ gradientTolerance: 1e-5, gradientNorm: 'inf' }\`) and at
descent's defaults (‖g‖₂ ≤ 1e-8); "not conv." counts runs that reach f* but report a reason
that is not a convergence. Line search: descent's default Moré–Thuente search (MINPACK-2's
dcsrch; CG HZ: CG_DESCENT's approximate-Wolfe search), or the Nocedal–Wright bracket-and-zoom (\`lineSearch: 'wolfe'\`, the default before;
for CG with c₂ = 0.1, restarts every n iterations and Powell's test as then).

| method | line search | reached (SciPy tol.) | not conv. | both reach | descent | SciPy | ratio | reached (defaults) | not conv. | both reach | descent | SciPy | ratio |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${vsScipy.join('\n')}
` : ''}

| method | reached (of 41) | SciPy (defaults, per the issue) | SciPy ${measured ? measured.scipy : ''} measured here on these functions | f evaluations (LM: r) | g evaluations (LM: J) | ms |
|---|---|---|---|---|---|---|
${summary}

${sections.join('\n')}${lmSection}`;
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, 'docs', 'mgh.md'), md);
