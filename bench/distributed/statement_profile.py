#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Where a trial's time goes in the PostgreSQL server while many processes share a study.

For each sampler and process count, starts a server of its own (tests/postgres/server.sh, the
tests' settings) with pg_stat_statements loaded, runs one configuration of
bench/distributed/throughput.py against it (Winnow alone) and reads back, per kind of
statement, how many the server ran and how long they took, per trial. Each record says
whether that kind runs while the study's lock is held (the asks' statements after the lock is
granted, up to their COMMIT). With the trials per second of the same run, that splits the
time between two asks into the server's work under the lock and the rest.

Execution times are the server's wall-clock times: on a busy machine they include the time a
server process waited to be scheduled. The extension costs the server some time of its own, so
these runs make somewhat fewer trials than the throughput benchmark alone. pg_stat_statements
merges statements of the same text: the read of changed trials runs under the lock in an ask
decided under it (a GP's, or a TPE proposal checked again) and without it after the COMMIT of
an ask made ahead (TPE's) or when a process reads the history before proposing, so its kind is
marked "partly". BEGIN and COMMIT, which Winnow sends as prepared
statements, are not among the statements the extension reports here.

  PYTHONPATH= /usr/bin/python3 bench/distributed/statement_profile.py --build-dir build \\
      --samplers random --processes 1,4,16 --seconds 8 \\
      --out bench/results/distributed_statements.jsonl
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import throughput  # noqa: E402

# (kind, runs under the study's lock: True, False or "partly", pattern of the statement's
# text), first match wins.
KINDS = [
    ("wait for the study's lock", False, r"pg_advisory_xact_lock"),
    ("new version and stamp", True, r"^WITH c AS \(UPDATE winnow_studies SET change_counter"),
    # Before the next number's pattern, which their texts also hold.
    ("ask in one statement", True, r"^WITH d AS \(SELECT s\.study_id, n\.next, w\.waiting"),
    ("insert made ahead", True, r"^WITH s AS \(SELECT change_counter, counted_trials"),
    ("next number, waiting trial", True, r"COALESCE\(MAX\(number\) \+ \$\d+, \$\d+\)"),
    ("insert of the trial", True, r"^WITH t AS \(INSERT INTO winnow_trials"),
    ("read of changed trials", "partly", r"version > \$2 AND version <="),
    ("finish (tell)", False, r"^WITH t AS \(SELECT t\.trial_id FROM winnow_trials t JOIN"),
    ("heartbeat, or an ask's wait for its flush", False, r"^UPDATE winnow_trials SET heartbeat_ms"),
]


def kind_of(query):
    for kind, under_lock, pattern in KINDS:
        if re.search(pattern, query):
            return kind, under_lock
    return "other", False


def start_server(folder):
    """Starts the server in `folder` (which `server.sh stop` removes) and returns its URL."""
    script = throughput.SERVER_SCRIPT
    subprocess.run(["bash", script, "start", folder], check=True, capture_output=True)
    with open(os.path.join(folder, "data", "postgresql.auto.conf"), "a") as conf:
        conf.write("shared_preload_libraries = 'pg_stat_statements'\n")
    subprocess.run(["bash", script, "restart", folder], check=True, capture_output=True)
    with open(os.path.join(folder, "url")) as f:
        url = f.read().strip()
    throughput.psql(url, "CREATE EXTENSION pg_stat_statements")
    return url


def profile(args, sampler, processes, stamp):
    folder = tempfile.mkdtemp(prefix="winnow-statements-")
    try:
        url = start_server(folder)
        with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as run_out:
            throughput.psql(url, "SELECT pg_stat_statements_reset()")
            subprocess.run([sys.executable, os.path.join(HERE, "throughput.py"),
                            "--postgres-url", url, "--build-dir", args.build_dir,
                            "--libraries", "winnow", "--samplers", sampler,
                            "--processes", str(processes), "--seconds", str(args.seconds),
                            "--trials-per-process", "1000000", "--out", run_out.name],
                           check=True, stdout=subprocess.DEVNULL)
            lines = run_out.read().strip().splitlines()
            if not lines:
                sys.exit("statement_profile.py: throughput.py wrote no record")
            run = json.loads(lines[-1])
            rows = throughput.psql(url, "SELECT calls, total_exec_time, "
                                        "regexp_replace(query, '\\s+', ' ', 'g') "
                                        "FROM pg_stat_statements WHERE toplevel")
    finally:
        subprocess.run(["bash", throughput.SERVER_SCRIPT, "stop", folder], capture_output=True)
    trials = run["trials"]
    if trials == 0:
        sys.exit("statement_profile.py: no trial completed with %s, %d processes" %
                 (sampler, processes))
    totals = {}
    for line in rows.splitlines():
        calls, ms, query = line.split("|", 2)
        if int(calls) < trials / 10:
            continue  # set-up, lease checks: not part of every trial
        kind, under_lock = kind_of(query)
        if kind == "other":
            print("statement_profile.py: counted as other: %s calls of %.100s" % (calls, query),
                  file=sys.stderr)
        calls_ms = totals.setdefault((kind, under_lock), [0, 0.0])
        calls_ms[0] += int(calls)
        calls_ms[1] += float(ms)
    base = {**stamp, "sampler": sampler, "processes": processes, "trials": trials,
            "trials_per_s": run["trials_per_s"], "cpu_busy_share": run["cpu_busy_share"]}
    records = []
    for (kind, under_lock), (calls, ms) in sorted(totals.items(), key=lambda kv: -kv[1][1]):
        records.append({**base, "kind": kind, "under_lock": under_lock,
                        "calls_per_trial": round(calls / trials, 3),
                        "us_per_trial": round(1000.0 * ms / trials, 1)})
    return records


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--samplers", default="random")
    parser.add_argument("--processes", default="1,4,16")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    stamp = throughput.provenance(sys.argv)
    with open(args.out, "a") as out:
        for sampler in args.samplers.split(","):
            for processes in (int(p) for p in args.processes.split(",")):
                for record in profile(args, sampler, processes, stamp):
                    out.write(json.dumps(record) + "\n")
                    out.flush()


if __name__ == "__main__":
    main()
