#!/usr/bin/env python3
"""Derives the coefficients and constants of engine/src/backends/fast_math.hpp (needs numpy).

expm1(r) ~ r + r^2 q(r) on [-ln2/2, ln2/2], q of degree 4, minimising the maximum relative error, by
linearised least squares on Chebyshev points with Lawson's reweighting (w <- w |error|), which converges
towards the minimax fit; the best iterate is kept. exp(r) is 1 + that, and tanh uses the same q with its
coefficients scaled by powers of two (exact). The printed floats are what the header holds; the header's
stated errors are measured in float arithmetic over every float by tests/cpp/fast_math_test.cpp built
with -DRTN_FAST_MATH_EXHAUSTIVE.

tanh |x| ~ m P(m^2) / Q(m^2), m = |x| on [0, 9], P and Q of degree 4 with P(0) = Q(0) = 1 (so tanh(x) = x for
tiny x), minimising the maximum absolute error the same way (the denominator of the previous iterate divides
the equations). Its fit is within 2e-8; evaluated in float, with the header's Estrin scheme, it is within
2.8e-7, as the rounding of the large products near |tanh| = 1 dominates. It replaced a tanh from expm1
(within 8.9e-8) for its latency: about 40 cycles from x to tanh(x) instead of 70, which a recurrent cell pays
twice per step. sigmoid uses the same coefficients scaled by powers of two (exact).
"""
import numpy as np

TANH_CLAMP = 9.0


def fit_tanh(degree_p=4, degree_q=4, clamp=TANH_CLAMP, iterations=600, points=6000):
    k = np.arange(points)
    x = 0.5 * clamp * (1 - np.cos(np.pi * (k + 0.5) / points))
    t = (x / clamp) ** 2  # scaled to [0, 1] for conditioning
    f = np.tanh(x)
    # Unknowns: p1..p_dp, q1..q_dq. Equation: x (1 + sum p_i t^i) - f (1 + sum q_j t^j) = 0.
    a = np.hstack([np.stack([x * t**i for i in range(1, degree_p + 1)], 1),
                   np.stack([-f * t**j for j in range(1, degree_q + 1)], 1)])
    b = f - x
    weights = np.ones(points) / points
    previous_q = np.ones(points)
    best = None
    for _ in range(iterations):
        s = np.sqrt(weights) / previous_q
        solution, *_ = np.linalg.lstsq(a * s[:, None], b * s, rcond=None)
        p = np.concatenate([[1.0], solution[:degree_p]])
        q = np.concatenate([[1.0], solution[degree_p:]])
        pt = np.polyval(p[::-1], t)
        qt = np.polyval(q[::-1], t)
        error = x * pt / qt - f
        worst = np.abs(error).max()
        if best is None or worst < best[0]:
            best = (worst, p.copy(), q.copy())
        previous_q = qt
        weights = weights * np.abs(error)
        weights /= weights.sum()
    worst, p, q = best
    p = np.array([c / clamp ** (2 * i) for i, c in enumerate(p)])
    q = np.array([c / clamp ** (2 * i) for i, c in enumerate(q)])
    return worst, p, q


def fit_expm1(degree_q=4, iterations=400, points=4000):
    half = np.log(2) / 2
    k = np.arange(points)
    r = -half * np.cos(np.pi * (k + 0.5) / points)
    f = np.expm1(r)
    a = np.stack([r ** (2 + i) / f for i in range(degree_q + 1)], 1)
    b = (f - r) / f
    weights = np.ones(points) / points
    best = None
    for _ in range(iterations):
        s = np.sqrt(weights)
        c, *_ = np.linalg.lstsq(a * s[:, None], b * s, rcond=None)
        error = a @ c - b
        worst = np.abs(error).max()
        if best is None or worst < best[0]:
            best = (worst, c.copy())
        weights = weights * np.abs(error)
        weights /= weights.sum()
    return best


def f32(v):
    return "%.9g" % np.float32(v)


def main():
    worst, p, q = fit_tanh()
    print("tanh: max absolute error of the fit (double arithmetic) %.3g on [0, %g]" % (worst, TANH_CLAMP))
    print("  p1..p4:", ", ".join(f32(v) for v in p[1:]))
    print("  q1..q4:", ", ".join(f32(v) for v in q[1:]))
    worst, c = fit_expm1()
    print("expm1: max relative error of the fit (double arithmetic) %.3g on [-ln2/2, ln2/2]" % worst)
    print("  q0..q4:", ", ".join(f32(v) for v in c))
    ln2 = np.log(2.0)
    ln2_high = np.float32(np.floor(ln2 * 2**16) / 2**16)  # 16 significant bits
    print("constants:")
    print("  log2(e) =", f32(1 / ln2), " ln2 =", f32(ln2))
    print("  ln2 high (16 bits) =", f32(ln2_high), " low =", f32(ln2 - float(ln2_high)))
    smallest_normal = np.finfo(np.float32).tiny
    largest = np.finfo(np.float32).max
    low = np.float32(np.log(np.float64(smallest_normal)))
    if float(low) < np.log(np.float64(smallest_normal)):
        low = np.nextafter(low, np.float32(0))
    high = np.float32(np.log(np.float64(largest)))
    if float(high) > np.log(np.float64(largest)):
        high = np.nextafter(high, np.float32(0))
    print("  exp range: [%s, %s]" % (f32(low), f32(high)))
    expm1_high = np.float32(127.5 * ln2)
    if float(expm1_high) * (1 / ln2) >= 127.5:
        expm1_high = np.nextafter(expm1_high, np.float32(0))
    print("  expm1 upper end (n <= 127):", f32(expm1_high))


if __name__ == "__main__":
    main()
