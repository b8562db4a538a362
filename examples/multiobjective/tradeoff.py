#!/usr/bin/env python3
"""A complete objective with two objectives and a constraint: accuracy against model size.

Usage: tradeoff.py DEGREE L2 SCALE

Fits ridge regression on polynomial features (all monomials of the 3 inputs up to DEGREE) of a
fixed, noisy non-linear data set, then prints one JSON line: the validation error, the number of
coefficients (the model's size) and its size in kilobytes, which the study file limits. Standard
library only.
"""
import itertools
import json
import math
import random
import sys


def data(n, seed):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        x = [rng.uniform(-1, 1) for _ in range(3)]
        y = math.sin(2 * x[0]) + x[1] * x[2] + 0.5 * x[2] ** 3 + rng.gauss(0, 0.05)
        rows.append((x, y))
    return rows


def features(x, degree, scale):
    out = [1.0]
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(3), d):
            out.append(math.prod(x[i] for i in combo) * scale ** (d - 1))
    return out


def solve(a, b):
    """Gaussian elimination with partial pivoting."""
    n = len(b)
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot], b[col], b[pivot] = a[pivot], a[col], b[pivot], b[col]
        for row in range(col + 1, n):
            f = a[row][col] / a[col][col]
            for k in range(col, n):
                a[row][k] -= f * a[col][k]
            b[row] -= f * b[col]
    w = [0.0] * n
    for row in reversed(range(n)):
        w[row] = (b[row] - sum(a[row][k] * w[k] for k in range(row + 1, n))) / a[row][row]
    return w


def main():
    degree, l2, scale = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    train, valid = data(300, seed=1), data(200, seed=2)
    phi = [features(x, degree, scale) for x, _ in train]
    m = len(phi[0])
    gram = [[sum(p[i] * p[j] for p in phi) + (l2 if i == j else 0.0) for j in range(m)]
            for i in range(m)]
    rhs = [sum(p[i] * y for p, (_, y) in zip(phi, train)) for i in range(m)]
    w = solve(gram, rhs)
    errors = [sum(wi * fi for wi, fi in zip(w, features(x, degree, scale))) - y for x, y in valid]
    rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
    print(json.dumps({"rmse": rmse, "coefficients": m, "model_kb": m * 8 / 1024}))


if __name__ == "__main__":
    main()
