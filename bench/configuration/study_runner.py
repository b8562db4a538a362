# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Runs the target command of a Winnow algorithm-configuration study file the way Winnow does,
so that irace (irace_target_runner.py) and the test evaluation (evaluate_config.py) run
exactly the command line, cost and cutoff the study file says.

From the study file it reads [objective] command, seed_arg, cost, cutoff, par and
exit_codes, [instances] train/test and [space]; the rules it copies from Winnow:
  - the command runs without a shell, in the study file's folder; {name} placeholders take the
    parameter's value, {instance} the instance's absolute path, {seed} the run seed; an argument
    naming an inactive (absent) parameter is left out; seed_arg goes just before the argument
    that names {instance};
  - cost "value": the program's last non-empty stdout line is the cost; a run that exits with a
    status outside exit_codes (or prints no number) failed and costs +inf;
  - cost "runtime": the wall seconds of the run, measured around the process; a run still going
    at the cutoff is killed and costs par x cutoff (PAR-k, default 10); a run killed earlier at a
    capping bound costs the bound (a lower bound, as irace and Winnow count it); a failed run
    costs PAR-k.
"""

import glob
import json
import math
import os
import re
import resource
import signal
import subprocess
import time
import tomllib
import zlib

DEFAULT_EXIT_CODES = (0,)
DEFAULT_PAR_FACTOR = 10.0


def parse_duration(value, where):
    """Winnow's durations: a number of seconds or "1.5s", "500ms", "2m", "1h"."""
    if isinstance(value, (int, float)):
        return float(value)
    match = re.fullmatch(r"\s*([0-9.]+)\s*(ms|s|m|h)?\s*", str(value))
    if not match:
        raise ValueError("%s: not a duration: %r" % (where, value))
    scale = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}[match.group(2) or "s"]
    return float(match.group(1)) * scale


class Study:
    """What a configuration study file says about running its target."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.folder = os.path.dirname(self.path)
        with open(self.path, "rb") as f:
            data = tomllib.load(f)
        self.data = data
        self.name = data["study"]["name"]
        self.trials = data["study"].get("trials")
        objective = data["objective"]
        self.command = list(objective["command"])
        self.seed_arg = objective.get("seed_arg")
        self.cost = objective.get("cost", "value")
        if self.cost not in ("value", "runtime"):
            raise ValueError("%s: objective.cost must be \"value\" or \"runtime\"" % path)
        self.cutoff = parse_duration(objective.get("cutoff", 0), "objective.cutoff")
        if self.cost == "runtime" and self.cutoff <= 0:
            raise ValueError("%s: cost = \"runtime\" needs a cutoff" % path)
        self.par_factor = float(objective.get("par", DEFAULT_PAR_FACTOR))
        self.exit_codes = tuple(objective.get("exit_codes", DEFAULT_EXIT_CODES))
        self.capping = bool(objective.get("capping", True))
        self.space = data["space"]
        self.instances = data.get("instances", {})

    def instance_paths(self, split):
        """The absolute paths of the `split` ("train" or "test") instances, in the order Winnow
        reads them: a glob (sorted), a directory (its files, sorted) or a file listing paths
        (relative to that file's folder), one per line."""
        spec = self.instances.get(split)
        if spec is None:
            raise ValueError("%s: [instances] has no '%s'" % (self.path, split))
        full = os.path.join(self.folder, spec)
        if os.path.isdir(full):
            return sorted(os.path.join(full, x) for x in os.listdir(full)
                          if os.path.isfile(os.path.join(full, x)))
        if any(c in spec for c in "*?["):
            return sorted(os.path.abspath(x) for x in glob.glob(full))
        base = os.path.dirname(full)
        with open(full) as f:
            return [os.path.abspath(os.path.join(base, line.strip()))
                    for line in f if line.strip() and not line.startswith("#")]

    def typed(self, name, text):
        """A parameter value given as text (by irace) with the type the space gives it."""
        spec = self.space[name]
        if spec["type"] == "int":
            return int(round(float(text)))
        if spec["type"] == "float":
            return float(text)
        for choice in spec["choices"]:
            if str(choice) == str(text):
                return choice
        raise ValueError("parameter %s: %r is not one of %r" % (name, text, spec["choices"]))

    def argv(self, config, instance, seed):
        """The command line of one run, as Winnow expands it."""
        values = {name: format_value(value) for name, value in config.items()}
        values["instance"] = os.path.abspath(instance)
        values["seed"] = str(seed)
        argv = []
        for argument in self.command:
            names = re.findall(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_.]*)\}(?!\})", argument)
            if any(n in self.space and n not in config for n in names):
                continue  # names an inactive parameter
            if "instance" in names and self.seed_arg is not None:
                argv.append(expand(self.seed_arg, values))
            argv.append(expand(argument, values))
        return argv

    def run(self, config, instance, seed, bound=None, log=None):
        """Runs `config` on `instance` with `seed`; returns a dict with cost, seconds (wall),
        cpu_seconds (the process's user + system time), status ("ok", "timeout", "capped",
        "failed") and argv. With cost "runtime", `bound` (seconds, below the cutoff) caps the
        run. Appends the dict as a JSON line to `log` if given."""
        argv = self.argv(config, instance, seed)
        limit = None
        if self.cost == "runtime":
            limit = self.cutoff if bound is None else min(bound, self.cutoff)
        usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        process = subprocess.Popen(argv, cwd=self.folder, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        killed = False
        try:
            stdout, stderr = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            killed = True
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        seconds = time.monotonic() - start
        usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (usage_after.ru_utime - usage_before.ru_utime +
               usage_after.ru_stime - usage_before.ru_stime)
        record = {"instance": instance, "seed": seed, "config": config, "seconds": seconds,
                  "cpu_seconds": cpu, "bound": bound, "exit_code": process.returncode}
        success = not killed and process.returncode in self.exit_codes
        if self.cost == "runtime":
            penalty = self.par_factor * self.cutoff
            if killed and limit < self.cutoff:
                record.update(cost=limit, status="capped")
            elif killed:
                record.update(cost=penalty, status="timeout")
            elif success:
                record.update(cost=min(seconds, self.cutoff), status="ok")
            else:
                record.update(cost=penalty, status="failed")
        else:
            value = last_number(stdout) if success else None
            if value is None:
                record.update(cost=math.inf, status="failed",
                              reason=(stderr or stdout).strip()[-300:])
            else:
                record.update(cost=value, status="ok")
        record["argv"] = argv
        if log is not None:
            with open(log, "a") as f:
                f.write(json.dumps(record) + "\n")
        return record


def format_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)  # 1.0, as Winnow prints a float
    return str(value)


def expand(argument, values):
    out = re.sub(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_.]*)\}(?!\})",
                 lambda m: values.get(m.group(1), m.group(0)), argument)
    return out.replace("{{", "{").replace("}}", "}")


def last_number(stdout):
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        return float(lines[-1])
    except ValueError:
        return None


def test_seed(instance, repeat=0):
    """The run seed of `instance` in the test evaluation's `repeat`-th run: fixed by its file name
    and the repeat, so every tool's final configuration meets the same seeds there (and never 0,
    which minisat refuses). Repeat 0 keeps the seed of the evaluation's first version."""
    name = os.path.basename(instance) + ("" if repeat == 0 else "#%d" % repeat)
    return 1 + zlib.crc32(name.encode()) % 2147483646
