#!/usr/bin/python3
# Coefficients of the erfc approximation used by the GELU kernels (assembly/nn/activations-smooth.ts):
#
#   erfc(t) = s·exp(−t² + P(s)),   s = 1/(1 + t/2) ∈ (0, 1] for t ≥ 0,
#
# P a degree-16 Chebyshev series in 2s − 1, fitted by least squares at 4000 Chebyshev nodes of
# s ∈ [0, 1] to log(erfc(t)/s) + t² (Python's math.erfc, and for t ≥ 25, where erfc underflows
# soon, the asymptotic series of erfc(t)·e^{t²}·t·√π to five terms, good to ~1e-12 there).
# P is smooth on the whole closed interval (s → 0 is t → ∞, where P → −log(2√π)), so one series
# covers every t. Prints the worst relative error of erfc over t ∈ [0, 25] and the AssemblyScript
# lines. Run: /usr/bin/python3 scripts/fit-gelu-erfc.py
import math
import numpy as np

DEGREE = 16


def target(s):
    if s == 0:
        return -math.log(2 * math.sqrt(math.pi))  # t·s → 2, erfc(t)·e^{t²} ~ 1/(t√π)
    t = 2 / s - 2
    if t < 25:
        return math.log(math.erfc(t) / s) + t * t
    u = 1 / (2 * t * t)
    series = 1 - u + 3 * u * u - 15 * u ** 3 + 105 * u ** 4
    return math.log(series / (t * math.sqrt(math.pi) * s))


N = 4000
s = np.cos(np.pi * (np.arange(N) + 0.5) / N) * 0.5 + 0.5
c = np.polynomial.chebyshev.chebfit(2 * s - 1, np.array([target(v) for v in s]), DEGREE)
worst = 0.0
for t in np.linspace(0, 25, 50001):
    sv = 1 / (1 + t / 2)
    got = sv * math.exp(-t * t + np.polynomial.chebyshev.chebval(2 * sv - 1, c))
    worst = max(worst, abs(got / math.erfc(t) - 1))
print(f'// worst relative error of erfc on t ∈ [0, 25]: {worst:.2e}')
print('const ERFC_CHEB = memory.data<f64>([')
for i in range(0, len(c), 3):
    print('  ' + ', '.join(repr(float(v)) for v in c[i:i + 3]) + ',')
print(']);')
