# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""WFG1-WFG9 (Huband, Hingston, Barone, While, "A review of multiobjective test problems and a
scalable test problem toolkit", IEEE Trans. Evolutionary Computation 10(5), 2006, Table XIV),
with M = 2 objectives, k = 4 position and l = 4 distance parameters: the same definitions as
bench/mo_functions_wfg.cc, operation for operation. See that file for the why."""

import math

from mo_functions_base import PI, Problem

M, K, L = 2, 4, 4
N = K + L
UPPER = [2.0 * (i + 1) for i in range(N)]  # z_i in [0, 2i] (1-based): the paper's domains
S = [2.0 * (m + 1) for m in range(M)]      # f_m = D x_M + S_m h_m, D = 1, S_m = 2m
A_PARAM = 0.98 / 49.98                     # b_param's A in WFG7-9
EPSILON = 1e-10


def correct(v):
    """Rounding errors may leave a transformation's [0, 1] range by a hair: snap them back."""
    if v < 0 and v >= -EPSILON:
        return 0.0
    if v > 1 and v <= 1 + EPSILON:
        return 1.0
    return v


def s_linear(y, a):
    return correct(abs(y - a) / abs(math.floor(a - y) + a))


def s_decept(y, a, b, c):
    t1 = math.floor(y - a + b) * (1 - c + (a - b) / b) / (a - b)
    t2 = math.floor(a + b - y) * (1 - c + (1 - a - b) / b) / (1 - a - b)
    return correct(1 + (abs(y - a) - b) * (t1 + t2 + 1 / b))


def s_multi(y, a, b, c):
    t1 = abs(y - c) / (2 * (math.floor(c - y) + c))
    t2 = (4 * a + 2) * PI * (0.5 - t1)
    return correct((1 + math.cos(t2) + 4 * b * t1 * t1) / (b + 2))


def b_flat(y, a, b, c):
    return correct(a + min(0.0, math.floor(y - b)) * (a * (b - y) / b)
                   - min(0.0, math.floor(c - y)) * ((1 - a) * (y - c) / (1 - c)))


def b_poly(y, alpha):
    return correct(y ** alpha)


def b_param_exponent(u):
    return 0.02 + (50 - 0.02) * (A_PARAM - (1 - 2 * u) * abs(math.floor(0.5 - u) + A_PARAM))


def b_param(y, u):
    return correct(y ** b_param_exponent(u))


def r_sum(y, w):
    num = den = 0.0
    for a, b in zip(y, w):
        num += a * b
        den += b
    return correct(num / den)


def mean(y):
    return r_sum(y, [1.0] * len(y))


def r_nonsep(y, a):
    m = len(y)
    num = 0.0
    for j in range(m):
        num += y[j]
        for k in range(a - 1):
            num += abs(y[j] - y[(1 + j + k) % m])
    half = math.ceil(a / 2.0)
    return correct(num / (m * half * (1 + 2 * a - 2 * half) / a))


def position_groups(y, reduce):
    gap = K // (M - 1)
    return [reduce(y[i * gap:(i + 1) * gap]) for i in range(M - 1)]


def wfg(which, z):
    y = [z[i] / UPPER[i] for i in range(N)]
    a = [1.0] * (M - 1)
    if which == 1:
        y = y[:K] + [s_linear(v, 0.35) for v in y[K:]]
        y = y[:K] + [b_flat(v, 0.8, 0.75, 0.85) for v in y[K:]]
        y = [b_poly(v, 0.02) for v in y]
        w = [2.0 * (i + 1) for i in range(N)]
        gap = K // (M - 1)
        t = [r_sum(y[i * gap:(i + 1) * gap], w[i * gap:(i + 1) * gap]) for i in range(M - 1)]
        t.append(r_sum(y[K:], w[K:]))
    elif which in (2, 3):
        y = y[:K] + [s_linear(v, 0.35) for v in y[K:]]
        y = y[:K] + [r_nonsep(y[K + 2 * j:K + 2 * j + 2], 2) for j in range(L // 2)]
        t = position_groups(y, mean) + [mean(y[K:])]
        if which == 3:
            a = [1.0] + [0.0] * (M - 2)  # degenerate for M >= 3; nothing to do at M = 2
    elif which in (4, 5):
        if which == 4:
            y = [s_multi(v, 30, 10, 0.35) for v in y]
        else:
            y = [s_decept(v, 0.35, 0.001, 0.05) for v in y]
        t = position_groups(y, mean) + [mean(y[K:])]
    elif which == 6:
        y = y[:K] + [s_linear(v, 0.35) for v in y[K:]]
        t = position_groups(y, lambda g: r_nonsep(g, len(g))) + [r_nonsep(y[K:], L)]
    elif which == 7:
        y = [b_param(y[i], mean(y[i + 1:])) for i in range(K)] + y[K:]
        y = y[:K] + [s_linear(v, 0.35) for v in y[K:]]
        t = position_groups(y, mean) + [mean(y[K:])]
    elif which == 8:
        y = y[:K] + [b_param(y[i], mean(y[:i])) for i in range(K, N)]
        y = y[:K] + [s_linear(v, 0.35) for v in y[K:]]
        t = position_groups(y, mean) + [mean(y[K:])]
    elif which == 9:
        y = [b_param(y[i], mean(y[i + 1:])) for i in range(N - 1)] + [y[N - 1]]
        y = ([s_decept(v, 0.35, 0.001, 0.05) for v in y[:K]]
             + [s_multi(v, 30, 95, 0.35) for v in y[K:]])
        t = position_groups(y, lambda g: r_nonsep(g, len(g))) + [r_nonsep(y[K:], L)]
    else:
        raise ValueError("no WFG%d" % which)
    x = [max(t[M - 1], a[i]) * (t[i] - 0.5) + 0.5 for i in range(M - 1)] + [t[M - 1]]
    h = shapes(which, x[:M - 1])
    return [x[M - 1] + S[m] * h[m] for m in range(M)]


def shapes(which, x):
    """h_1..h_M on the position values x_1..x_{M-1}."""
    half = [v * PI / 2 for v in x]
    out = []
    for m in range(1, M + 1):
        if which == 3:
            value = 1.0
            for v in x[:M - m]:
                value *= v
            if m > 1:
                value *= 1 - x[M - m]
        elif which in (1, 2) and m < M:
            value = 1.0
            for v in half[:M - m]:
                value *= 1 - math.cos(v)
            if m > 1:
                value *= 1 - math.sin(half[M - m])
        elif which == 1:  # mixed, alpha = 1, A = 5
            value = 1 - x[0] - math.cos(2 * 5 * PI * x[0] + PI / 2) / (2 * 5 * PI)
        elif which == 2:  # disconnected, alpha = beta = 1, A = 5
            c = math.cos(5 * x[0] * PI)
            value = 1 - x[0] * c * c
        else:  # concave
            value = 1.0
            for v in half[:M - m]:
                value *= math.sin(v)
            if m > 1:
                value *= math.cos(half[M - m])
        out.append(correct(value))
    return out


def optimal_distances(which, position):
    """Normalised distance values that put x_M at 0 for these normalised positions."""
    if which == 8:  # y_i^(b_param exponent of the mean before it) must be 0.35
        y = list(position)
        for i in range(K, N):
            y.append(0.35 ** (1 / b_param_exponent(mean(y[:i]))))
        return y[K:]
    if which == 9:  # y_i^(exponent of the mean after it) must be 0.35, from the last one back
        y = [0.0] * L
        y[L - 1] = 0.35
        for i in range(L - 2, -1, -1):
            y[i] = 0.35 ** (1 / b_param_exponent(mean(y[i + 1:])))
        return y
    return [0.35] * L


def config_of(y):
    """The configuration whose normalised values z_i / (2i) are exactly y: WFG1's b_poly(., 0.02)
    turns a distance 1e-16 off its optimum into 0.48, so 0.35 * 12 / 12 = 0.3499999999999999
    will not do (the nearest doubles are tried)."""
    config = {}
    for i in range(N):
        z = y[i] * UPPER[i]
        for _ in range(4):
            if z / UPPER[i] < y[i]:
                z = math.nextafter(z, math.inf)
            elif z / UPPER[i] > y[i]:
                z = math.nextafter(z, -math.inf)
        config["x%d" % i] = min(z, UPPER[i])
    return config


def pareto_config(which, t):
    """A Pareto-optimal configuration with position value x_1 = t, inverting the position
    transformations: WFG1's b_poly (y = t^50), s_decept's steep side (y = 0.35 - 0.001 t gives
    t), b_param (y = w^(1 / exponent), from the last position back, as its exponent depends on
    the values after it), r_nonsep (of (v, 0, v, 0) is v; WFG6, WFG9). WFG4's s_multi has no
    inverse: y = t sweeps x_1 over [0, 1] non-monotonically, which a dense t still covers."""
    t = t[0]
    if which == 1:
        position = [t ** 50] * K
    elif which == 5:
        position = [0.35 - 0.001 * t] * K
    elif which == 6:
        position = [t, 0.0] * (K // 2)
    elif which in (7, 9):
        # b_param's targets: t (WFG7); WFG9: s_decept's inverse at t, and 0.35 (its zero).
        target = [t] * K if which == 7 else [0.35 - 0.001 * t, 0.35] * (K // 2)
        y = [0.0] * K + optimal_distances(which, None)
        for i in range(K - 1, -1, -1):
            y[i] = target[i] ** (1 / b_param_exponent(mean(y[i + 1:])))
        position = y[:K]
    else:
        position = [t] * K
    return config_of(position + optimal_distances(which, position))


# WFG1 in double precision: 0.35 * 12 has no double z with z / 12 == 0.35, so x5's s_linear is at
# least 8.5e-17, b_flat makes that 2^-53 and b_poly(., 0.02) 2^-1.06 = 0.48: x_M, the weighted
# sum 12 * 0.48 / (10 + 12 + 14 + 16), is never below this. The attainable front is the
# analytic one moved by WFG1_OFFSET along the diagonal (bench/mo_functions_wfg.cc).
WFG1_OFFSET = 12 * 2.0 ** (-53 * 0.02) / 52


def front_residual(which):
    if which == 1:
        def residual(f):
            x = 2 / PI * math.acos(min(1.0, max(-1.0, 1 - (f[0] - WFG1_OFFSET) / 2)))
            return f[1] - WFG1_OFFSET - 4 * (1 - x + math.sin(10 * PI * x) / (10 * PI))
    elif which == 2:
        def residual(f):
            x = 2 / PI * math.acos(min(1.0, max(-1.0, 1 - f[0] / 2)))
            return f[1] - 4 * (1 - x * math.cos(5 * PI * x) ** 2)
    elif which == 3:
        def residual(f):
            return f[0] / 2 + f[1] / 4 - 1
    else:
        def residual(f):
            return (f[0] / 2) ** 2 + (f[1] / 4) ** 2 - 1
    return residual


def known_points(which):
    """Hand-derived values (see mo_functions_wfg.cc): the front's ends and a middle point."""
    def at(position, expected):
        return config_of(position + optimal_distances(which, position)), expected
    h = math.sqrt(0.5)
    if which == 1:
        d = WFG1_OFFSET
        return [at([0.0] * K, [d, 4.0 + d]), at([1.0] * K, [2.0 + d, d])]
    if which in (2, 7):
        out = [at([0.0] * K, [0.0, 4.0]), at([1.0] * K, [2.0, 0.0])]
        if which == 2:
            out.append(at([0.5] * K, [2 * (1 - h), 4.0]))
        return out
    if which == 3:
        return [at([0.25] * K, [0.5, 3.0]), at([1.0] * K, [2.0, 0.0])]
    if which == 4:
        return [at([0.35] * K, [0.0, 4.0]), at([0.0] * K, [2.0, 0.0])]
    if which == 5:
        return [at([0.35] * K, [0.0, 4.0]),
                at([0.0] * K, [2 * math.sin(0.025 * PI), 4 * math.cos(0.025 * PI)])]
    if which == 6:
        return [at([0.5, 0.0, 0.5, 0.0], [2 * h, 4 * h]), at([1.0, 0.0, 1.0, 0.0], [2.0, 0.0])]
    if which == 8:
        return [at([0.5] * K, [2 * h, 4 * h]), at([0.0] * K, [0.0, 4.0])]
    # WFG9: pareto_config's x_1 = t (its docstring), so t = 0, 1/2, 1 give these.
    return [(pareto_config(9, [0.0]), [0.0, 4.0]), (pareto_config(9, [0.5]), [2 * h, 4 * h]),
            (pareto_config(9, [1.0]), [2.0, 0.0])]


# Reference points (bench/mo_reference_points.py: max(1.1 x the front's nadir (2, 4), the median
# over 10,000 random points), rounded up to 2 significant digits).
REFERENCES = {
    1: [3.0, 4.6], 2: [2.2, 4.4], 3: [2.2, 4.4], 4: [2.2, 4.4], 5: [2.2, 4.4],
    6: [2.3, 4.4], 7: [2.2, 4.4], 8: [2.2, 4.4], 9: [2.2, 4.4],
}
# The area under each front (WFG1 and WFG2 numerically, bench/mo_reference_points.py): the best
# hypervolume is r1 r2 - area, for WFG1 (r1 - WFG1_OFFSET) (r2 - WFG1_OFFSET) - area. WFG3's
# front is a triangle (area 4), WFG4-9's a quarter ellipse (2 pi).
AREAS = {1: 2.894277514846, 2: 3.528882112774, 3: 4.0}


def best_hv(which, r):
    area = AREAS.get(which, 2 * PI)
    if which == 1:
        return (r[0] - WFG1_OFFSET) * (r[1] - WFG1_OFFSET) - area
    return r[0] * r[1] - area


def problems():
    out = []
    for which in range(1, 10):
        ref = REFERENCES[which]
        out.append(Problem(
            "wfg%d" % which, "x_i in [0, 2i], n = 8 (k = 4, l = 4), M = 2",
            [("x%d" % i, "float", 0.0, UPPER[i], False) for i in range(N)], ["f1", "f2"], ref,
            best_hv(which, ref), 300,
            lambda c, w=which: wfg(w, [float(c["x%d" % i]) for i in range(N)]),
            pareto_config=lambda t, w=which: pareto_config(w, t),
            front_residual=front_residual(which), known_points=known_points(which),
            nadir=[2.0 + WFG1_OFFSET, 4.0 + WFG1_OFFSET] if which == 1 else [2.0, 4.0]))
    return out
