#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Writes an irace 3.5 scenario from a Winnow configuration study file, so that irace tunes the
same space with the same command, instances, seeds semantics and budget as Winnow does:

  EXEC/parameters.txt       the [space]: float -> r, int -> i (",log" where log = true),
                            categorical -> c, `when` -> an irace condition; each switch is
                            `--NAME=`, which irace_target_runner.py reads back
  EXEC/default.txt          the space's defaults, irace's first configuration (Winnow's race
                            starts from the defaults too)
  EXEC/train-instances.txt  the [instances] train paths, absolute
  EXEC/target-runner        calls irace_target_runner.py with the study file and the run log
  EXEC/scenario.txt         maxExperiments = the budget (target runs), the seed, parallel = 1,
                            not deterministic (runs take a seed), with --test-type t-test irace's
                            t-test (else irace's default: Friedman's F-test, or the t-test when
                            it caps); for cost = "runtime", irace's adaptive capping (when the
                            study's `capping` is true, Winnow's default) with boundMax = the
                            cutoff and boundPar = the PAR factor

  /usr/bin/python3 bench/configuration/irace_scenario.py STUDY.toml EXEC --budget 500 --seed 1 \
      [--test-type default|t-test]
"""

import argparse
import os
import re
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from study_runner import Study  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = 5  # decimal places of irace's real parameters (cla_decay needs four)


def r_string(value):
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def irace_condition(expression):
    """Winnow's `when` language in R: 'a' -> "a", and/or/not -> & | !, in [..] -> %in% c(..)."""
    text = re.sub(r"'([^']*)'", lambda m: r_string(m.group(1)), expression)
    text = re.sub(r"\bnot\s+in\s*\[([^\]]*)\]", r"%notin% c(\1)", text)
    text = re.sub(r"\bin\s*\[([^\]]*)\]", r"%in% c(\1)", text)
    if "%notin%" in text:
        raise ValueError("irace_scenario.py: 'not in' is not translated: %r" % expression)
    text = re.sub(r"\band\b", "&", text)
    text = re.sub(r"\bor\b", "|", text)
    text = re.sub(r"\bnot\b", "!", text)
    return text


def parameter_lines(space):
    lines = ["# name switch type range [| condition]; written by irace_scenario.py"]
    for name, spec in space.items():
        kind = spec["type"]
        if kind in ("float", "int"):
            letter = "r" if kind == "float" else "i"
            if spec.get("log"):
                letter += ",log"
            text = "%s (%s, %s)" % (letter, spec["low"], spec["high"])
        elif kind == "categorical":
            text = "c (%s)" % ", ".join(r_string(c) for c in spec["choices"])
        else:
            raise ValueError("irace_scenario.py: parameter %s: type %s is not supported"
                             % (name, kind))
        line = "%s %s %s" % (name, r_string("--%s=" % name), text)
        if "when" in spec:
            line += " | " + irace_condition(spec["when"])
        lines.append(line)
    return lines


def default_configuration(space):
    """The defaults of the active parameters (a dict), as Winnow evaluates `when`."""
    config = {}
    for name, spec in space.items():
        if "when" in spec and not condition_holds(spec["when"], config):
            continue
        if "default" not in spec:
            raise ValueError("parameter %s has no default" % name)
        config[name] = spec["default"]
    return config


def condition_holds(expression, config):
    """Winnow's `when` (==, !=, <, in [...], and, or, not) is Python's syntax for those; a
    comparison on an inactive parameter is false."""
    try:
        return bool(eval(expression, {"__builtins__": {}}, dict(config)))
    except NameError:
        return False


def write_scenario(study, exec_dir, budget, seed, test_type="default"):
    os.makedirs(exec_dir, exist_ok=True)
    files = {}

    def write(name, lines):
        path = os.path.join(exec_dir, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        files[name] = path
        return path

    write("parameters.txt", parameter_lines(study.space))
    defaults = default_configuration(study.space)
    def cell(name):
        if name not in defaults:
            return "NA"
        value = defaults[name]
        return r_string(value) if study.space[name]["type"] == "categorical" else str(value)

    write("default.txt", [" ".join(study.space), " ".join(cell(n) for n in study.space)])
    write("train-instances.txt", study.instance_paths("train"))
    runner = write("target-runner", [
        "#!/bin/sh",
        "# irace's target runner: written by irace_scenario.py for %s" % study.path,
        "exec /usr/bin/python3 %s --study %s --log %s \"$@\"" % (
            os.path.join(HERE, "irace_target_runner.py"), study.path,
            os.path.join(exec_dir, "runs.jsonl"))])
    os.chmod(runner, os.stat(runner).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    options = [
        ("parameterFile", r_string(files["parameters.txt"])),
        ("configurationsFile", r_string(files["default.txt"])),
        ("trainInstancesDir", r_string("")),
        ("trainInstancesFile", r_string(files["train-instances.txt"])),
        ("targetRunner", r_string(runner)),
        ("execDir", r_string(exec_dir)),
        ("logFile", r_string(os.path.join(exec_dir, "irace.Rdata"))),
        ("maxExperiments", str(budget)),
        ("seed", str(seed)),
        ("parallel", "1"),
        ("deterministic", "0"),
        ("digits", str(DIGITS)),
    ]
    if test_type != "default":
        options.append(("testType", r_string(test_type)))
    if study.cost == "runtime" and study.capping:
        options += [("capping", "1"), ("boundMax", repr(study.cutoff)),
                    ("boundPar", repr(study.par_factor)), ("boundDigits", "2")]
    write("scenario.txt", ["# written by irace_scenario.py from %s" % study.path] +
          ["%s = %s" % option for option in options])
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("study")
    parser.add_argument("exec_dir")
    parser.add_argument("--budget", type=int, help="target runs (default: the study's trials)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--test-type", default="default", choices=["default", "t-test"])
    args = parser.parse_args()
    study = Study(args.study)
    files = write_scenario(study, os.path.abspath(args.exec_dir), args.budget or study.trials,
                           args.seed, args.test_type)
    print(files["scenario.txt"])


if __name__ == "__main__":
    main()
