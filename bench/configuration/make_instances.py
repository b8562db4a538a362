#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Writes the problem instances of the algorithm-configuration benchmark (compare_irace.sh):
the same files for the same --seed, so they are generated at benchmark time and never committed.

  OUT/sat/{train,test}/*.cnf   two SAT families, half of each split each:
      r3-*     uniform random 3-SAT at clause/variable ratio 4.26 (the phase transition),
               n in {190, 200, 210}: about half satisfiable, half not;
      flat4-*  4-colouring of "flat" graphs (Culberson's generator, as SATLIB's flat*), n in
               {130, 140} vertices, 4.4 n edges, satisfiable by construction. Deviation: only
               the edge counts between colour classes are balanced (flatness 0), not degrees.
           Both sized so that minisat 2.2 with its defaults takes about 0.02-1 s.
  OUT/de/{train,test}/*.fn     test functions for de_solver: `function=NAME dim=D shift_seed=S
      rotate=0|1`. Eight function variants; train uses dims 5, 10, 20 and shift seeds 1-2, test
      uses shift seed 101 and dims 5-25, 15 and 25 held out.
  OUT/{sat,de}/features.csv    one row per instance (train and test), `instance` first: its
      file name (unique across splits; Winnow matches rows by file name); then numeric features.
  OUT/{sat,de}/{train,test}.txt  the instance paths, one a line, relative to that folder.
  OUT/manifest.json            seed, counts, a digest of the instance files (for reuse checks:
                               the features are not in it, as they change no run) and the
                               sha256 of this script (compare_irace.sh regenerates when it
                               changed).

  /usr/bin/python3 bench/configuration/make_instances.py --seed 1 /tmp/ac-bench/instances
"""

import argparse
import hashlib
import itertools
import json
import math
import os
import random
import shutil

SAT_RATIO = 4.26
SAT_RANDOM_SIZES = (190, 200, 210)
FLAT_COLOURS = 4
FLAT_SIZES = (130, 140)
FLAT_EDGES_PER_VERTEX = 4.4

# (name, function, rotate): separable and rotated variants where it makes a difference.
DE_VARIANTS = [("sphere", "sphere", 0), ("ellipsoid-rot", "ellipsoid", 1),
               ("rosenbrock-rot", "rosenbrock", 1), ("rastrigin", "rastrigin", 0),
               ("rastrigin-rot", "rastrigin", 1), ("ackley-rot", "ackley", 1),
               ("griewank-rot", "griewank", 1), ("schwefel", "schwefel", 0)]
DE_SPLITS = {"train": {"dims": (5, 10, 20), "shifts": (1, 2)},
             "test": {"dims": (5, 10, 15, 20, 25), "shifts": (101,)}}
DE_MULTIMODAL = {"sphere": 0, "ellipsoid": 0, "rosenbrock": 0, "rastrigin": 1, "ackley": 1,
                 "griewank": 1, "schwefel": 1}
DE_LOG10_CONDITION = {"ellipsoid": 6.0, "rosenbrock": 2.0}


def rng(seed, *labels):
    """A generator of its own for each instance: adding one leaves the others unchanged."""
    return random.Random("-".join(str(x) for x in (seed,) + labels))


def random_3sat(r, n):
    m = round(SAT_RATIO * n)
    clauses = []
    for _ in range(m):
        variables = r.sample(range(1, n + 1), 3)
        clauses.append([v if r.random() < 0.5 else -v for v in variables])
    return n, clauses


def flat_colouring(r, n):
    """A graph whose vertices split into FLAT_COLOURS equal classes with edges only between
    classes, the same number between each pair; its k-colouring as CNF (one variable per
    vertex and colour: at least one colour, at most one, different colours across an edge)."""
    k = FLAT_COLOURS
    vertices = list(range(n))
    r.shuffle(vertices)
    classes = [vertices[i::k] for i in range(k)]
    pairs = list(itertools.combinations(range(k), 2))
    m = round(FLAT_EDGES_PER_VERTEX * n)
    edges = set()
    for index, (a, b) in enumerate(pairs):
        wanted = m // len(pairs) + (1 if index < m % len(pairs) else 0)
        added = 0
        while added < wanted:
            u, v = r.choice(classes[a]), r.choice(classes[b])
            edge = (min(u, v), max(u, v))
            if edge not in edges:
                edges.add(edge)
                added += 1

    def var(vertex, colour):
        return vertex * k + colour + 1

    clauses = []
    for v in range(n):
        clauses.append([var(v, c) for c in range(k)])
        clauses += [[-var(v, a), -var(v, b)] for a, b in itertools.combinations(range(k), 2)]
    for u, v in sorted(edges):
        clauses += [[-var(u, c), -var(v, c)] for c in range(k)]
    return n * k, clauses


def write_cnf(path, n_vars, clauses, comment):
    with open(path, "w") as f:
        f.write("c %s\np cnf %d %d\n" % (comment, n_vars, len(clauses)))
        for clause in clauses:
            f.write(" ".join(map(str, clause)) + " 0\n")


def cnf_features(n_vars, clauses):
    """A few cheap SATzilla-style features (Xu et al. 2008, "SATzilla", JAIR 32, table 1)."""
    lengths = [len(c) for c in clauses]
    occurrences = [0] * (n_vars + 1)
    positive = 0
    for clause in clauses:
        for literal in clause:
            occurrences[abs(literal)] += 1
            positive += literal > 0
    counts = occurrences[1:]
    mean = sum(counts) / n_vars
    std = math.sqrt(sum((c - mean) ** 2 for c in counts) / n_vars)
    literals = sum(lengths)
    return {"n_vars": n_vars, "n_clauses": len(clauses), "ratio": len(clauses) / n_vars,
            "mean_clause_length": literals / len(clauses),
            "frac_binary": sum(1 for x in lengths if x == 2) / len(clauses),
            "frac_ternary": sum(1 for x in lengths if x == 3) / len(clauses),
            "frac_horn": sum(1 for c in clauses if sum(1 for x in c if x > 0) <= 1) / len(clauses),
            "var_occurrences_mean": mean, "var_occurrences_cv": std / mean,
            "frac_positive_literals": positive / literals}


def make_sat(out, seed, per_family):
    rows = []
    for split in ("train", "test"):
        folder = os.path.join(out, split)
        os.makedirs(folder)
        names = []
        for i in range(per_family):
            n = SAT_RANDOM_SIZES[i % len(SAT_RANDOM_SIZES)]
            n_vars, clauses = random_3sat(rng(seed, "r3", split, i), n)
            name = "r3-%s%02d-n%d.cnf" % (split, i, n)
            write_cnf(os.path.join(folder, name), n_vars, clauses,
                      "uniform random 3-SAT n=%d ratio=%.2f (make_instances.py seed %d)"
                      % (n, SAT_RATIO, seed))
            rows.append((name, dict(cnf_features(n_vars, clauses), flat_graph=0)))
            names.append(name)
        for i in range(per_family):
            n = FLAT_SIZES[i % len(FLAT_SIZES)]
            n_vars, clauses = flat_colouring(rng(seed, "flat", split, i), n)
            name = "flat4-%s%02d-n%d.cnf" % (split, i, n)
            write_cnf(os.path.join(folder, name), n_vars, clauses,
                      "%d-colouring of a flat graph, %d vertices, %d edges (make_instances.py "
                      "seed %d)" % (FLAT_COLOURS, n, round(FLAT_EDGES_PER_VERTEX * n), seed))
            rows.append((name, dict(cnf_features(n_vars, clauses), flat_graph=1)))
            names.append(name)
        write_list(os.path.join(out, split + ".txt"), [split + "/" + x for x in names])
    write_features(os.path.join(out, "features.csv"), rows)


def make_de(out):
    rows = []
    for split, spec in DE_SPLITS.items():
        folder = os.path.join(out, split)
        os.makedirs(folder)
        names = []
        for (variant, function, rotate), dim, shift in itertools.product(
                DE_VARIANTS, spec["dims"], spec["shifts"]):
            name = "%s-%d-%d.fn" % (variant, dim, shift)
            with open(os.path.join(folder, name), "w") as f:
                f.write("function=%s dim=%d shift_seed=%d rotate=%d\n" % (function, dim, shift,
                                                                           rotate))
            features = {"dim": dim, "log_dim": math.log(dim), "rotated": rotate,
                        "multimodal": DE_MULTIMODAL[function],
                        "log10_condition": DE_LOG10_CONDITION.get(function, 0.0)}
            for other in DE_MULTIMODAL:
                features["is_" + other] = int(other == function)
            rows.append((name, features))
            names.append(name)
        write_list(os.path.join(out, split + ".txt"), [split + "/" + x for x in names])
    write_features(os.path.join(out, "features.csv"), rows)


def write_list(path, paths):
    with open(path, "w") as f:
        f.write("".join(p + "\n" for p in paths))


def write_features(path, rows):
    columns = list(rows[0][1])
    with open(path, "w") as f:
        f.write(",".join(["instance"] + columns) + "\n")
        for instance, features in rows:
            f.write(",".join([instance] + ["%.6g" % features[c] for c in columns]) + "\n")


def digest(root):
    """sha256 over the train/ and test/ instance files, names and contents."""
    h = hashlib.sha256()
    for folder, subfolders, files in sorted(os.walk(root)):
        subfolders.sort()
        if os.path.basename(folder) not in ("train", "test"):
            continue
        for name in sorted(files):
            path = os.path.join(folder, name)
            h.update(os.path.relpath(path, root).encode() + b"\0")
            with open(path, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="folder to write (replaced if it holds instances already)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sat-per-family", type=int, default=20,
                        help="instances of each SAT family per split (default 20)")
    args = parser.parse_args()
    for part in ("sat", "de"):
        shutil.rmtree(os.path.join(args.out, part), ignore_errors=True)
        os.makedirs(os.path.join(args.out, part))
    make_sat(os.path.join(args.out, "sat"), args.seed, args.sat_per_family)
    make_de(os.path.join(args.out, "de"))
    with open(os.path.abspath(__file__), "rb") as f:
        generator = hashlib.sha256(f.read()).hexdigest()
    counts = {}
    for part in ("sat", "de"):
        for split in ("train", "test"):
            with open(os.path.join(args.out, part, split + ".txt")) as f:
                counts[part + "/" + split] = len(f.read().split())
    manifest = {"seed": args.seed, "sat_per_family": args.sat_per_family,
                "digest": digest(args.out), "generator": generator, "counts": counts}
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s: %s" % (args.out, ", ".join("%d %s" % (n, k) for k, n in
                                                 sorted(manifest["counts"].items()))))


if __name__ == "__main__":
    main()
