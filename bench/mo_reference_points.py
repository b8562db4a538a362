#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Derives the reference points of the analytic multi-objective problems added after ZDT1-3 and
DTLZ2, and the numerical constants of their best hypervolumes, and checks them against the
constants in bench/mo_functions*.py (which bench/mo_functions*.cc repeat; compare_mo.sh's
cross-check compares the two languages).

The rule, per objective j:

    reference_j = max(1.1 x the true front's nadir_j, median of f_j over 10,000 uniformly random
                      points of the space (random.Random(20261124))),
    rounded up to 2 significant digits,

so that the whole true front counts, and a point better than a typical random point adds volume
even after 50 trials. (ZDT1-3 and DTLZ2 keep their earlier references; xgb and xgb_cls are real
trade-offs, chosen by judgment: see bench/mo_functions.h.) A conditional parameter is drawn only
when its condition holds; integers and choices uniformly.

  /usr/bin/python3 bench/mo_reference_points.py     # the table; status 1 if a constant differs
"""

import decimal
import math
import os
import random
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mo_functions  # noqa: E402
import mo_functions_more  # noqa: E402
import mo_functions_wfg  # noqa: E402

SEED = 20261124
SAMPLES = 10000
EARLIER = {"zdt1", "zdt2", "zdt3", "dtlz2"}


def round_up(value, digits=2):
    """Rounds up to `digits` significant digits, reading the value at 12 digits first so that
    1.1 * 1.0 = 1.1000000000000001 stays 1.1."""
    d = decimal.Decimal(format(value, ".12g"))
    quantum = decimal.Decimal(1).scaleb(d.adjusted() - digits + 1)
    return float((d / quantum).to_integral_value(rounding=decimal.ROUND_CEILING) * quantum)


def integrate(f, a, b, n=2000000):
    """Composite trapezoid rule (the integrands below are continuous, with a few kinks)."""
    h = (b - a) / n
    total = 0.5 * (f(a) + f(b))
    for i in range(1, n):
        total += f(a + i * h)
    return total * h


def constants():
    """The numbers behind the best hypervolumes that have no closed form."""
    pi = math.pi

    def f1_slope(x):  # d/dx of 2 (1 - cos(pi x / 2))
        return pi * math.sin(pi * x / 2)

    # WFG1: the area under f2 = 4 (1 - x + sin(10 pi x) / (10 pi)) against f1.
    wfg1 = integrate(lambda x: 4 * (1 - x + math.sin(10 * pi * x) / (10 * pi)) * f1_slope(x),
                     0.0, 1.0)
    # WFG2: the front is the running minimum of f2 = 4 (1 - x cos^2(5 pi x)) (f1 grows with x).
    n = 2000000
    low, area, previous = math.inf, 0.0, None
    for i in range(n + 1):
        x = i / n
        low = min(low, 4 * (1 - x * math.cos(5 * pi * x) ** 2))
        value = low * f1_slope(x)
        if previous is not None:
            area += 0.5 * (previous + value) / n
        previous = value
    wfg2 = area
    # DTLZ7: the integral over [0, r] of the running maximum of u (1 + sin(3 pi u)).
    r = mo_functions_more.REFERENCES["dtlz7"][0]
    top, integral, previous = -math.inf, 0.0, None
    for i in range(n + 1):
        u = r * i / n
        top = max(top, u * (1 + math.sin(3 * pi * u)))
        if previous is not None:
            integral += 0.5 * (previous + top) * r / n
        previous = top
    return {"wfg1_area": wfg1, "wfg2_area": wfg2, "dtlz7_integral": integral}


def main():
    failures = 0
    print("%-15s %-26s %-26s %-22s %s" % ("problem", "1.1 x nadir", "median of 10,000",
                                          "reference", "in mo_functions"))
    for p in mo_functions.problems().values():
        if p.nadir is None or p.name in EARLIER:
            continue
        rng = random.Random(SEED)
        values = [p.evaluate(p.sample(rng)) for _ in range(SAMPLES)]
        medians = [statistics.median(v[j] for v in values) for j in range(len(p.reference))]
        scaled = [1.1 * v for v in p.nadir]
        reference = [round_up(max(a, b)) for a, b in zip(scaled, medians)]
        ok = reference == p.reference
        failures += not ok
        print("%-15s %-26s %-26s %-22s %s" % (
            p.name, ", ".join("%.4g" % v for v in scaled), ", ".join("%.4g" % v for v in medians),
            ", ".join("%g" % v for v in reference), "same" if ok else "DIFFERS: %r" % p.reference))
    print()
    found = constants()
    recorded = {"wfg1_area": mo_functions_wfg.AREAS[1], "wfg2_area": mo_functions_wfg.AREAS[2],
                "dtlz7_integral": mo_functions_more.DTLZ7_INTEGRAL}
    for key, value in found.items():
        ok = recorded[key] is not None and abs(recorded[key] - value) <= 1e-9
        failures += not ok
        print("%-15s %.12f  %s" % (key, value, "same" if ok else "DIFFERS: %r" % recorded[key]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
