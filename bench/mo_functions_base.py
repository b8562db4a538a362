# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Shared pieces of the multi-objective problems (bench/mo_functions.py and the modules it
gathers problems from): the Problem record, the unit box, and the deterministic constants
(offsets, rotations) that bench/mo_functions_internal.h computes the same way in C++.

The constants come from a Weyl sequence, frac(i * PHI), and Householder reflections, with only
+, -, *, /, floor and sqrt in a fixed order: IEEE arithmetic rounds each of those exactly, so
C++ and Python get the same bits (no library random generator, whose streams differ).
"""

import math

PI = math.pi
# (sqrt(5) - 1) / 2 as a double: its multiples mod 1 spread evenly over [0, 1) (Weyl).
PHI = 0.6180339887498949


class Problem:
    """One problem, as bench/mo_functions.h's MultiObjectiveProblem.

    params: [(name, kind, low, high, log[, condition])] in the order of the C++ space; kind is
    "float", "int" or "cat" (then low holds the choices and high is None); condition is None or
    (parent, value): the parameter is active only when the parent has that value.
    pareto_config(t): a Pareto-optimal configuration for t in [0, 1]^(M-1); front_residual(f): 0
    on the true front; known_points: [(config, expected objectives)], derived by hand; nadir:
    the true front's nadir (for bench/mo_reference_points.py)."""

    def __init__(self, name, domain, params, objective_names, reference, best_hypervolume,
                 default_trials, evaluate, literature_reference=None,
                 best_literature_hypervolume=None, pareto_config=None, front_residual=None,
                 known_points=(), nadir=None):
        self.name = name
        self.domain = domain
        self.params = [tuple(p) + (None,) * (6 - len(p)) for p in params]
        self.dimension = len(params)
        self.objective_names = objective_names
        self.reference = reference
        self.best_hypervolume = best_hypervolume
        self.default_trials = default_trials
        self.evaluate = evaluate
        self.literature_reference = literature_reference  # None: the same as `reference`
        self.best_literature_hypervolume = best_literature_hypervolume
        self.pareto_config = pareto_config
        self.front_residual = front_residual
        self.known_points = list(known_points)
        self.nadir = nadir

    def conditional(self):
        return any(p[5] is not None for p in self.params)

    def distributions(self):
        """Optuna's distributions, for problems without conditions (asked in one go)."""
        import optuna
        d = optuna.distributions
        out = {}
        for n, kind, lo, hi, log, _ in self.params:
            if kind == "int":
                out[n] = d.IntDistribution(lo, hi, log=log)
            elif kind == "cat":
                out[n] = d.CategoricalDistribution(lo)
            else:
                out[n] = d.FloatDistribution(lo, hi, log=log)
        return out

    def suggest(self, trial):
        """Define-by-run: suggests the active parameters in order (conditional ones only when
        their parent has the value), as an Optuna objective would."""
        config = {}
        for n, kind, lo, hi, log, cond in self.params:
            if cond is not None and config.get(cond[0]) != cond[1]:
                continue
            if kind == "int":
                config[n] = trial.suggest_int(n, lo, hi, log=log)
            elif kind == "cat":
                config[n] = trial.suggest_categorical(n, lo)
            else:
                config[n] = trial.suggest_float(n, lo, hi, log=log)
        return config

    def sample(self, rng):
        """A uniformly random configuration (random.Random rng); conditions as in suggest."""
        config = {}
        for n, kind, lo, hi, log, cond in self.params:
            if cond is not None and config.get(cond[0]) != cond[1]:
                continue
            if log:
                raise ValueError("%s: no uniform sampling of log-scaled %s" % (self.name, n))
            if kind == "int":
                config[n] = rng.randint(lo, hi)
            elif kind == "cat":
                config[n] = lo[rng.randrange(len(lo))]
            else:
                config[n] = lo + (hi - lo) * rng.random()
        return config

    def check_member(self, config):
        """Problems with `config` as a member of this problem's space (empty list: fine)."""
        problems = []
        expected = set()
        for n, kind, lo, hi, log, cond in self.params:
            if cond is None or config.get(cond[0]) == cond[1]:
                expected.add(n)
        if set(config) != expected:
            problems.append("parameters %s, expected %s" % (sorted(config), sorted(expected)))
        for n, kind, lo, hi, _, _ in self.params:
            if n not in config:
                continue
            v = config[n]
            if kind == "cat":
                if v not in lo:
                    problems.append("%s = %r is not one of %r" % (n, v, lo))
            elif kind == "int" and (not isinstance(v, int) or isinstance(v, bool)):
                problems.append("%s = %r is not an integer" % (n, v))
            elif isinstance(v, (str, bool)) or not lo <= v <= hi:
                problems.append("%s = %r outside [%r, %r]" % (n, v, lo, hi))
        return problems


def vec(config, d):
    return [float(config["x%d" % i]) for i in range(d)]


def unit_box(d):
    return [("x%d" % i, "float", 0.0, 1.0, False) for i in range(d)]


def frac(v):
    return v - math.floor(v)


def rotation(n, salt):
    """An n x n rotation: the product of n Householder reflections I - 2 v v^T / (v^T v) (n is
    even here, so the determinant is +1), v_j = frac((salt + r n + j + 1) PHI) - 1/2 for the
    r-th; as rotation() in bench/mo_functions_internal.h, operation for operation."""
    q = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    for r in range(n):
        v = [frac((salt + r * n + j + 1) * PHI) - 0.5 for j in range(n)]
        vv = 0.0
        for value in v:
            vv += value * value
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += q[i][j] * v[j]
            c = 2 * s / vv
            for j in range(n):
                q[i][j] = q[i][j] - c * v[j]
    return q


def matrix_vector(q, y):
    out = []
    for row in q:
        s = 0.0
        for a, b in zip(row, y):
            s += a * b
        out.append(s)
    return out


def weyl_points(count, dims, salt=0):
    """Scattered points of [0, 1]^dims (for checks): frac((salt + i dims + j + 1) PHI)."""
    return [[frac((salt + i * dims + j + 1) * PHI) for j in range(dims)] for i in range(count)]
