# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""ZDT4, ZDT6, DTLZ1 and DTLZ3-7, and our variants (zdt1_shifted, dtlz2_rotated,
convex_rotated, mixed): the same definitions as bench/mo_functions_more.cc, operation for
operation. See that file and bench/mo_functions.h for the why and the sources."""

import math

from mo_functions_base import PHI, PI, Problem, frac, matrix_vector, rotation, unit_box, vec

H = math.sqrt(0.5)


def zdt1_residual(f):
    return f[1] - (1 - math.sqrt(f[0]))


def sphere_residual(f):
    return sum(v * v for v in f) - 1


def zdt4(x):
    f1 = x[0]
    g = 1.0 + 10 * (len(x) - 1)
    for v in x[1:]:
        g += v * v - 10 * math.cos(4 * PI * v)
    return [f1, g * (1 - math.sqrt(f1 / g))]


def zdt6(x):
    s = math.sin(6 * PI * x[0])
    f1 = 1 - math.exp(-4 * x[0]) * s ** 6
    g = 1 + 9 * (sum(x[1:]) / (len(x) - 1)) ** 0.25
    return [f1, g * (1 - (f1 / g) * (f1 / g))]


# ZDT6's front starts where exp(-4x) sin^6(6 pi x) peaks first: tan(6 pi x) = 9 pi.
ZDT6_X = math.atan(9 * PI) / (6 * PI)
ZDT6_F1_MIN = zdt6([ZDT6_X, 0.0])[0]

# zdt1_shifted: the optimum of x_i (i >= 1) moves from 0 to a_i = 0.2 + 0.6 frac(i PHI).
SHIFT = [0.2 + 0.6 * frac(i * PHI) for i in range(30)]


def zdt1_shifted(x):
    s = 0.0
    for i in range(1, len(x)):
        s += abs(x[i] - SHIFT[i]) / max(SHIFT[i], 1 - SHIFT[i])
    g = 1 + 9 * s / (len(x) - 1)
    f1 = x[0]
    return [f1, g * (1 - math.sqrt(f1 / g))]


def sphere(theta, g, m):
    """DTLZ's spherical map (Deb et al. 2005, eq. 8) on angles theta (in units of pi/2)."""
    f = []
    for j in range(m):
        value = 1 + g
        for i in range(m - 1 - j):
            value *= math.cos(theta[i] * PI / 2)
        if j > 0:
            value *= math.sin(theta[m - 1 - j] * PI / 2)
        f.append(value)
    return f


def g_rastrigin(xm):
    s = 0.0
    for v in xm:
        s += (v - 0.5) * (v - 0.5) - math.cos(20 * PI * (v - 0.5))
    return 100 * (len(xm) + s)


def g_sphere(xm):
    s = 0.0
    for v in xm:
        s += (v - 0.5) * (v - 0.5)
    return s


def dtlz1(x, m=3):
    g = g_rastrigin(x[m - 1:])
    f = []
    for j in range(m):
        value = 0.5 * (1 + g)
        for i in range(m - 1 - j):
            value *= x[i]
        if j > 0:
            value *= 1 - x[m - 1 - j]
        f.append(value)
    return f


def dtlz3(x, m=3):
    return sphere(x[:m - 1], g_rastrigin(x[m - 1:]), m)


def dtlz4(x, m=3):
    return sphere([v ** 100 for v in x[:m - 1]], g_sphere(x[m - 1:]), m)


def dtlz56(x, g, m):
    theta = [x[0]] + [1 / (2 * (1 + g)) * (1 + 2 * g * v) for v in x[1:m - 1]]
    return sphere(theta, g, m)


def dtlz5(x, m=3):
    return dtlz56(x, g_sphere(x[m - 1:]), m)


def dtlz6(x, m=3):
    g = 0.0
    for v in x[m - 1:]:
        g += v ** 0.1
    return dtlz56(x, g, m)


def dtlz7(x, m=3):
    k = len(x) - m + 1
    f = list(x[:m - 1])
    s = 0.0
    for v in x[m - 1:]:
        s += v
    g = 1 + 9 / k * s
    h = float(m)
    for v in f:
        h -= v / (1 + g) * (1 + math.sin(3 * PI * v))
    return f + [(1 + g) * h]


# DTLZ7's front has f1, f2 in [0, 0.2514] u [0.6316, DTLZ7_U3]: where u (1 + sin(3 pi u)) sets
# a new maximum; DTLZ7_U3 is its maximiser on [0, 1] (bisection on the derivative).
DTLZ7_U3 = 0.859400856644724


def dtlz7_residual(f):
    return f[2] - (6 - sum(v * (1 + math.sin(3 * PI * v)) for v in f[:2]))


# dtlz2_rotated: z = Q (x_D - 1/2) for DTLZ2's 10 distance variables, g = sum_i c_i z_i^2.
ROTATION_DTLZ = rotation(10, 0)
WEIGHTS_DTLZ = [10 ** ((2 * i - 9) / 9) for i in range(10)]


def dtlz2_rotated(x, m=3):
    z = matrix_vector(ROTATION_DTLZ, [v - 0.5 for v in x[m - 1:]])
    g = 0.0
    for c, v in zip(WEIGHTS_DTLZ, z):
        g += c * v * v
    return sphere(x[:m - 1], g, m)


# convex_rotated: f_j = |D Q (x - c_j)|^2 / |D Q (b - a)|^2 in [0, 1]^10.
ROTATION_CONVEX = rotation(10, 1000)
SCALE_CONVEX = [10 ** (i / 9 - 0.5) for i in range(10)]
CENTRE_A = [0.25 + 0.5 * frac((i + 1) * PHI) for i in range(10)]
CENTRE_B = [0.25 + 0.5 * frac((i + 1) * PHI + 0.5) for i in range(10)]


def scaled_norm2(y):
    z = matrix_vector(ROTATION_CONVEX, y)
    s = 0.0
    for d, v in zip(SCALE_CONVEX, z):
        s += (d * v) * (d * v)
    return s


CONVEX_LENGTH2 = scaled_norm2([b - a for a, b in zip(CENTRE_A, CENTRE_B)])


def convex_rotated(x):
    return [scaled_norm2([v - a for v, a in zip(x, CENTRE_A)]) / CONVEX_LENGTH2,
            scaled_norm2([v - b for v, b in zip(x, CENTRE_B)]) / CONVEX_LENGTH2]


# mixed: a shape (categorical), a position x, an integer n and y, active only for "convex".
SHAPES = ["concave", "linear", "convex"]
MIXED_PARAMS = [("shape", "cat", SHAPES, None, False), ("x", "float", 0.0, 1.0, False),
                ("n", "int", 0, 10, False), ("y", "float", 0.0, 1.0, False, ("shape", "convex"))]


def mixed(c):
    x, n, shape = float(c["x"]), c["n"], c["shape"]
    g = 1 + 0.1 * (n - 3) * (n - 3)
    if shape == "convex":
        y = float(c["y"])
        g += 4 * (y - 0.3) * (y - 0.3)
        h = 1 - math.sqrt(x)
    elif shape == "linear":
        h = 1 - x
    elif shape == "concave":
        h = 1 - x * x
    else:
        raise ValueError("mixed: unknown shape %r" % shape)
    return [x, g * h]


# Reference points: bench/mo_reference_points.py (max(1.1 x the true front's nadir, the median
# over 10,000 uniform random points), rounded up to 2 significant digits).
REFERENCES = {
    "zdt4": [1.1, 160.0], "zdt6": [1.1, 8.5], "zdt1_shifted": [1.1, 3.4],
    "dtlz1": [48.0, 47.0, 130.0], "dtlz3": [370.0, 380.0, 730.0], "dtlz4": [1.9, 1.1, 1.1],
    "dtlz5": [0.81, 0.81, 1.3], "dtlz6": [3.7, 3.8, 7.3], "dtlz7": [0.95, 0.95, 19.0],
    "dtlz2_rotated": [1.1, 1.1, 1.9], "convex_rotated": [1.5, 1.6], "mixed": [1.1, 1.1],
}
# DTLZ7's integral of the running maximum of u (1 + sin(3 pi u)) over [0, 0.95]
# (bench/mo_reference_points.py).
DTLZ7_INTEGRAL = 0.644184810797


def best_hv(name, r):
    """The true front's hypervolume w.r.t. r (derivations in bench/mo_functions_more.cc)."""
    if name in ("zdt4", "zdt1_shifted", "mixed"):
        return r[0] * r[1] - 1 / 3
    if name == "zdt6":
        a = ZDT6_F1_MIN
        return (r[0] - a) * r[1] - ((1 - a) - (1 - a ** 3) / 3)
    if name == "dtlz1":
        return r[0] * r[1] * r[2] - 0.5 ** 3 / 6
    if name in ("dtlz3", "dtlz4", "dtlz2_rotated"):
        return r[0] * r[1] * r[2] - PI / 6
    if name in ("dtlz5", "dtlz6"):
        return r[0] * r[1] * r[2] - (r[0] + r[1]) * PI / (4 * math.sqrt(2)) + 1 / 3
    if name == "dtlz7":
        if DTLZ7_INTEGRAL is None or r[0] != r[1]:
            return None
        return r[0] * r[1] * (r[2] - 6) + 2 * r[1] * DTLZ7_INTEGRAL
    if name == "convex_rotated":
        return r[0] * r[1] - 1 / 6
    return None


def unit(d, head, rest):
    return {"x%d" % i: (head[i] if i < len(head) else rest) for i in range(d)}


def problems():
    """The problems of this module in report order, by group: ZDT, DTLZ, the variants."""
    def box(name, domain, params, nadir, f, pareto, residual, known):
        ref = REFERENCES[name]
        d = len(params)
        return Problem(name, domain, params, ["f%d" % (j + 1) for j in range(len(ref))], ref,
                       best_hv(name, ref), 300, lambda c: f(vec(c, d)), pareto_config=pareto,
                       front_residual=residual, known_points=known, nadir=nadir)

    zdt4_params = [("x0", "float", 0.0, 1.0, False)] + [
        ("x%d" % i, "float", -5.0, 5.0, False) for i in range(1, 10)]
    far = [0.0] + [1.0 if a < 0.5 else 0.0 for a in SHIFT[1:]]
    dtlz = {}
    for name, f, k, rest, nadir in [
            ("dtlz1", dtlz1, 5, 0.5, [0.5] * 3), ("dtlz3", dtlz3, 10, 0.5, [1.0] * 3),
            ("dtlz4", dtlz4, 10, 0.5, [1.0] * 3), ("dtlz5", dtlz5, 10, 0.5, [H, H, 1.0]),
            ("dtlz6", dtlz6, 10, 0.0, [H, H, 1.0]),
            ("dtlz7", dtlz7, 20, 0.0, [DTLZ7_U3, DTLZ7_U3, 6.0]),
            ("dtlz2_rotated", dtlz2_rotated, 10, 0.5, [1.0] * 3)]:
        d = k + 2
        pareto = (lambda t, d=d, rest=rest: unit(d, t, rest))
        if name == "dtlz4":  # x^100 is the angle: undo the bias so a grid of t is even
            pareto = (lambda t, d=d: unit(d, [v ** 0.01 for v in t], 0.5))
        dtlz[name] = (d, rest, nadir, f, pareto)
    y_row = [0.1 * v for v in ROTATION_DTLZ[0]]  # z = (0.1, 0, ..., 0): g = c_0 / 100
    known = {
        "dtlz1": [(unit(7, [0.0, 0.0], 0.5), [0.0, 0.0, 0.5]),
                  (unit(7, [1.0, 1.0], 0.5), [0.5, 0.0, 0.0]),
                  (unit(7, [0.5, 0.5], 0.5), [0.125, 0.125, 0.25]),
                  (unit(7, [0.5, 0.5], 0.0), [15.75, 15.75, 31.5])],  # g = 100 (5 - 3.75)
        "dtlz3": [(unit(12, [0.0, 0.0], 0.5), [1.0, 0.0, 0.0]),
                  (unit(12, [0.5, 0.5], 0.5), [0.5, 0.5, H]),
                  (unit(12, [0.0, 0.0], 0.0), [251.0, 0.0, 0.0])],  # g = 100 (10 - 7.5)
        "dtlz4": [(unit(12, [1.0, 1.0], 0.5), [0.0, 0.0, 1.0]),
                  (unit(12, [0.5 ** 0.01, 0.5 ** 0.01], 0.5), [0.5, 0.5, H]),
                  (unit(12, [0.5, 0.5], 0.0), [3.5, 0.0, 0.0])],  # 0.5^100 ~ 0; g = 2.5
        "dtlz5": [(unit(12, [0.0, 0.3], 0.5), [H, H, 0.0]),
                  (unit(12, [0.5, 0.9], 0.5), [0.5, 0.5, H]),
                  (unit(12, [0.0, 1.0], 1.0), [3.5 * math.cos(3 * PI / 7),
                                                3.5 * math.sin(3 * PI / 7), 0.0])],
        "dtlz6": [(unit(12, [0.5, 0.2], 0.0), [0.5, 0.5, H]),
                  (unit(12, [0.0, 0.0], 1.0), [11 * math.cos(PI / 44),
                                                11 * math.sin(PI / 44), 0.0])],
        "dtlz7": [(unit(22, [0.0, 0.0], 0.0), [0.0, 0.0, 6.0]),
                  (unit(22, [1 / 6, 1 / 6], 0.0), [1 / 6, 1 / 6, 16 / 3]),
                  (unit(22, [0.0, 0.0], 1.0), [0.0, 0.0, 33.0])],
        "dtlz2_rotated": [(unit(12, [0.0, 0.0], 0.5), [1.0, 0.0, 0.0]),
                          (unit(12, [0.5, 0.5], 0.5), [0.5, 0.5, H]),
                          (unit(12, [0.0, 0.0] + [0.5 + v for v in y_row], 0.5),
                           [1 + WEIGHTS_DTLZ[0] / 100, 0.0, 0.0])],
    }
    residual = {"dtlz1": lambda f: sum(f) - 0.5, "dtlz7": dtlz7_residual}
    out = [
        box("zdt4", "x0 in [0,1], x1..x9 in [-5,5]", zdt4_params, [1.0, 1.0], zdt4,
            lambda t: unit(10, t, 0.0), zdt1_residual,
            [(unit(10, [0.25], 0.0), [0.25, 0.5]),
             (unit(10, [1.0], 0.5), [1.0, 3.25 - math.sqrt(3.25)])]),  # g = 91 - 9 * 9.75
        box("zdt6", "[0,1]^10", unit_box(10), [1.0, 1 - ZDT6_F1_MIN ** 2], zdt6,
            lambda t: unit(10, t, 0.0), lambda f: f[1] - (1 - f[0] * f[0]),
            [(unit(10, [0.0], 0.0), [1.0, 0.0]),
             (unit(10, [1 / 12], 0.0), [1 - math.exp(-1 / 3), 1 - (1 - math.exp(-1 / 3)) ** 2]),
             (unit(10, [0.0], 1.0), [1.0, 9.9])]),
        box("zdt1_shifted", "[0,1]^30, optimum x_i = 0.2 + 0.6 frac(i PHI)", unit_box(30),
            [1.0, 1.0], zdt1_shifted, lambda t: unit(30, t + SHIFT[1:], 0.0), zdt1_residual,
            [(unit(30, [0.25] + SHIFT[1:], 0.0), [0.25, 0.5]),
             (unit(30, far, 0.0), [0.0, 10.0])]),
    ]
    for name in ("dtlz1", "dtlz3", "dtlz4", "dtlz5", "dtlz6", "dtlz7", "dtlz2_rotated"):
        d, rest, nadir, f, pareto = dtlz[name]
        domain = "[0,1]^%d, M = 3" % d + (", distance rotated" if name == "dtlz2_rotated" else "")
        out.append(box(name, domain, unit_box(d), nadir, f, pareto,
                       residual.get(name, sphere_residual), known[name]))
    mid = [(a + b) / 2 for a, b in zip(CENTRE_A, CENTRE_B)]
    out.append(box("convex_rotated", "[0,1]^10, rotated and scaled quadratics", unit_box(10),
                   [1.0, 1.0], convex_rotated,
                   lambda t: {"x%d" % i: a + t[0] * (b - a)
                              for i, (a, b) in enumerate(zip(CENTRE_A, CENTRE_B))},
                   lambda f: math.sqrt(f[0]) + math.sqrt(f[1]) - 1,
                   [(unit(10, CENTRE_A, 0.0), [0.0, 1.0]), (unit(10, CENTRE_B, 0.0), [1.0, 0.0]),
                    (unit(10, mid, 0.0), [0.25, 0.25])]))
    ref = REFERENCES["mixed"]
    out.append(Problem(
        "mixed", "shape {concave, linear, convex}, x in [0,1], int n in [0,10], y in [0,1] "
        "if convex", MIXED_PARAMS, ["f1", "f2"], ref, best_hv("mixed", ref), 300, mixed,
        pareto_config=lambda t: {"shape": "convex", "x": t[0], "n": 3, "y": 0.3},
        front_residual=zdt1_residual, nadir=[1.0, 1.0],
        known_points=[({"shape": "convex", "x": 0.25, "n": 3, "y": 0.3}, [0.25, 0.5]),
                      ({"shape": "linear", "x": 0.25, "n": 3}, [0.25, 0.75]),
                      ({"shape": "concave", "x": 0.5, "n": 0}, [0.5, 1.9 * 0.75]),
                      ({"shape": "convex", "x": 0.0, "n": 10, "y": 1.0}, [0.0, 7.86])]))
    return out
