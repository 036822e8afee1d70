#!/usr/bin/env python3
# MINPACK's Levenberg–Marquardt (lmder, through scipy.optimize.leastsq with Dfun) on descent's
# least-squares problems — the 41 Moré–Garbow–Hillstrom instances and the 27 NIST StRD problems
# from both starts — evaluated by descent itself (scripts/lsq-server.mjs), to put MINPACK's
# evaluation counts beside descent's LM in docs/mgh.md and docs/nist-strd.md. Dev-time only:
# SciPy installed, `npm run build`, then
#   python3 scripts/minpack-lm.py > docs/minpack-lm.json
# Settings (each run records nfev, njev, MINPACK's info, the final f = ‖r‖², and for NIST the
# LRE of the worst parameter):
#   'tol1e-8'   ftol = xtol = gtol = 1e-8, maxfev 100·(n+1)·10
#   'least_squares'  scipy.optimize.least_squares(method='lm')'s defaults: ftol = xtol = gtol = 1e-8,
#               max_nfev 100·n, diag from J's column norms (x_scale 'jac', SciPy ≥ 1.16)
#   'leastsq'   leastsq's defaults: ftol = xtol = 1.49012e-8 (√ε), gtol = 0, maxfev 100·(n+1)
#   'tight'     ftol = xtol = 1e-15, gtol = 0, maxfev 100·(n+1)·10 (NIST needs tightened tolerances)
#   'descent'   descent's LM defaults: ftol = 1e-14, xtol = gtol = 1e-8, maxfev 100·(n+1)·10
import json, subprocess, sys, math
import numpy as np
import scipy
from scipy.optimize import leastsq

srv = subprocess.Popen(['node', 'scripts/lsq-server.mjs', *sys.argv[1:]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
problems = json.loads(srv.stdout.readline())

def ask(q):
    srv.stdin.write(json.dumps(q) + '\n')
    srv.stdin.flush()
    return json.loads(srv.stdout.readline())

def nums(a):
    return np.array([v if v is not None else math.nan for v in a], dtype=float)

def lre(b, c):
    if b == c:
        return 11.0
    e = abs(b - c) / abs(c) if c != 0 else abs(b)
    return min(11.0, max(0.0, -math.log10(e))) if e > 0 else 11.0

SETTINGS = {
    'tol1e-8': lambda n: dict(ftol=1e-8, xtol=1e-8, gtol=1e-8, maxfev=1000 * (n + 1)),
    'least_squares': lambda n: dict(ftol=1e-8, xtol=1e-8, gtol=1e-8, maxfev=100 * n),
    'leastsq': lambda n: dict(ftol=1.49012e-8, xtol=1.49012e-8, gtol=0.0, maxfev=100 * (n + 1)),
    'tight': lambda n: dict(ftol=1e-15, xtol=1e-15, gtol=0.0, maxfev=1000 * (n + 1)),
    'descent': lambda n: dict(ftol=1e-14, xtol=1e-8, gtol=1e-8, maxfev=1000 * (n + 1)),
}
out = {'scipy': scipy.__version__, 'numpy': np.__version__, 'settings': {}}
for sname, kw in SETTINGS.items():
    rows = []
    for i, p in enumerate(problems):
        m, n = p['m'], p['n']
        fun = lambda x, i=i: nums(ask({'p': i, 'x': [float(v) for v in x]})['r'])
        jac = lambda x, i=i, m=m, n=n: nums(ask({'p': i, 'x': [float(v) for v in x], 'J': True})['J']).reshape(m, n)
        x, cov, info, msg, ier = leastsq(fun, np.array(p['x0'], dtype=float), Dfun=jac, full_output=True, **kw(n))
        r = fun(x)
        f = float(np.dot(r, r))
        row = {'set': p['set'], 'name': p['name'], 'f': f, 'nfev': int(info['nfev']), 'njev': int(info.get('njev', 0)), 'info': int(ier)}
        if p['set'] == 'nist':
            row['start'] = p['start']
            row['lre'] = min(lre(float(b), c) for b, c in zip(x, p['xStar']))
        else:
            row['reached'] = bool(abs(f - p['fStar']) <= 1e-4 * abs(p['fStar']) + 1e-8)
        rows.append(row)
    out['settings'][sname] = rows
    nist = [r for r in rows if r['set'] == 'nist']
    mgh = [r for r in rows if r['set'] == 'mgh']
    for s in (1, 2):
        rs = [r for r in nist if r['start'] == s]
        print(f"{sname} NIST start {s}: LRE>=6 {sum(r['lre'] >= 6 for r in rs)}/27, evals {sum(r['nfev'] + r['njev'] for r in rs)}", file=sys.stderr)
    print(f"{sname} MGH: reached {sum(r['reached'] for r in mgh)}/41, evals {sum(r['nfev'] + r['njev'] for r in mgh)}", file=sys.stderr)
srv.stdin.close()
srv.wait()
json.dump(out, sys.stdout, indent=1)
