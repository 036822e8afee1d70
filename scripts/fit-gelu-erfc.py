#!/usr/bin/python3
# Coefficients of the erfc approximation used by the GELU kernels (assembly/nn/activations-smooth.ts):
#
#   erfc(t) = s·e^{−t²}·R(s),   s = 1/(1 + t/2) ∈ (0, 1] for t ≥ 0,
#
# R a degree-13 Chebyshev series in 2s − 1, fitted by least squares at 4000 Chebyshev nodes of
# s ∈ [0, 1] to erfc(t)·e^{t²}/s (Python's math.erfc, and for t ≥ 25, where erfc soon underflows,
# the asymptotic series of erfc(t)·e^{t²}·t·√π to five terms, good to ~1e-12 there). R is smooth
# on the whole closed interval (s → 0 is t → ∞, where R → 1/(2√π)), so one series covers every
# t, and the kernels need one exponential, e^{−t²}, which φ shares. Prints the worst relative
# error of erfc over t ∈ [0, 25] and the AssemblyScript lines.
# Run: /usr/bin/python3 scripts/fit-gelu-erfc.py
import math
import numpy as np

DEGREE = 13


def target(s):
    if s == 0:
        return 1 / (2 * math.sqrt(math.pi))  # t·s → 2, erfc(t)·e^{t²} ~ 1/(t√π)
    t = 2 / s - 2
    if t < 25:
        return math.erfc(t) * math.exp(t * t) / s
    u = 1 / (2 * t * t)
    series = 1 - u + 3 * u * u - 15 * u ** 3 + 105 * u ** 4
    return series / (t * math.sqrt(math.pi) * s)


N = 4000
s = np.cos(np.pi * (np.arange(N) + 0.5) / N) * 0.5 + 0.5
c = np.polynomial.chebyshev.chebfit(2 * s - 1, np.array([target(v) for v in s]), DEGREE)
worst = 0.0
for t in np.linspace(0, 25, 50001):
    sv = 1 / (1 + t / 2)
    got = sv * math.exp(-t * t) * np.polynomial.chebyshev.chebval(2 * sv - 1, c)
    worst = max(worst, abs(got / math.erfc(t) - 1))
print(f'// worst relative error of erfc on t ∈ [0, 25]: {worst:.2e}')
print(f'const ERFC_DEGREE = {DEGREE};')
print('const ERFC_CHEB = memory.data<f64>([')
for i in range(0, len(c), 3):
    print('  ' + ', '.join(repr(float(v)) for v in c[i:i + 3]) + ',')
print(']);')
