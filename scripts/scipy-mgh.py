#!/usr/bin/env python3
# SciPy's minimizers with default options on descent's 41 Moré–Garbow–Hillstrom instances,
# evaluated by descent itself (scripts/mgh-server.mjs), to put SciPy's counts beside ours in
# docs/mgh.md. Dev-time only: `apt-get install python3-scipy`, `npm run build`, then
#   /usr/bin/python3 scripts/scipy-mgh.py > docs/mgh-scipy.json
# The JSON (committed) holds, per method and instance, nfev, njev (nhev) and the final f.
import json, subprocess, sys, math
import numpy as np
import scipy
from scipy.optimize import minimize

srv = subprocess.Popen(['node', 'scripts/mgh-server.mjs'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
problems = json.loads(srv.stdout.readline())

def ask(q):
    srv.stdin.write(json.dumps(q) + '\n')
    srv.stdin.flush()
    return json.loads(srv.stdout.readline())

def fg(i):
    def fun(x):
        r = ask({'p': i, 'x': [float(v) for v in x]})
        f = r['f'] if r['f'] is not None else math.inf
        g = np.array([v if v is not None else math.nan for v in r['g']])
        return f, g
    return fun

def hessp(i):
    def hp(x, v):
        return np.array(ask({'p': i, 'x': [float(t) for t in x], 'v': [float(t) for t in v]})['hv'])
    return hp

out = {'scipy': scipy.__version__, 'numpy': np.__version__, 'methods': {}}
for method in ['BFGS', 'L-BFGS-B', 'CG', 'Newton-CG']:
    rows = []
    reached = 0
    for i, p in enumerate(problems):
        kw = {'hessp': hessp(i)} if method == 'Newton-CG' else {}
        try:
            r = minimize(fg(i), np.array(p['x0']), jac=True, method=method, **kw)
            f = float(r.fun)
        except Exception as e:  # noqa: BLE001 - record the failure, keep going
            rows.append({'name': p['name'], 'error': str(e)})
            continue
        ok = abs(f - p['fStar']) <= 1e-4 * abs(p['fStar']) + 1e-8
        reached += ok
        rows.append({'name': p['name'], 'f': f, 'reached': bool(ok), 'nfev': int(r.get('nfev', 0)), 'njev': int(r.get('njev', 0) or 0),
                     'nhev': int(r.get('nhev', 0) or 0), 'nit': int(r.get('nit', 0) or 0), 'success': bool(r.success)})
    out['methods'][method] = {'reached': reached, 'instances': rows}
    print(f'{method}: {reached}/41', file=sys.stderr)
srv.stdin.close()
srv.wait()
json.dump(out, sys.stdout, indent=1)
