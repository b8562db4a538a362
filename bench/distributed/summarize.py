#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Summarises the distributed benchmarks as markdown tables:

  1. bench/distributed/throughput.py: per sampler, process count and library, the trials
     completed, trials per second, Winnow's trials per second over Optuna's for the same sampler
     and process count, and ask and tell latency (50th and 99th percentile, ms); runs with
     --objective-ms get a table of their own, with the ideal rate and the share of it reached;
  2. bench/distributed/scheduling.sh: per run, the ideal and measured wall time of W `winnow
     worker` processes of J jobs, the overhead, the slot utilisation and the trials stored;
  3. bench/distributed/kill_stress.py: per run, the trials, workers and kills, the trials
     interrupted and requeued, the wall time and whether every check held.

Each table is printed when its records are among the inputs (the kinds are told apart by
their fields), and says which commits produced it when the records carry their stamps
(bench/render_benchmarks.py gives them without, and prints the stamps itself). When a
configuration was run more than once, the last line wins.

  /usr/bin/python3 bench/distributed/summarize.py bench/results/distributed.jsonl \\
      bench/results/distributed_scheduling.jsonl bench/results/distributed_faults.jsonl
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench_stats import load  # noqa: E402

LIBRARY_ORDER = ["winnow", "optuna"]


def fmt(value, digits=3):
    if value is None:
        return "-"
    if abs(value) >= 10 ** digits:
        return "%.0f" % value
    return "%.*g" % (digits, value)


def latest(rows, key):
    """The last record of each key, in the order the keys first appear."""
    chosen = {}
    for r in rows:
        chosen[key(r)] = r
    return list(chosen.values())


def provenance_lines(rows):
    """Which commits, machines and dates produced the rows; nothing when they carry no stamps."""
    groups = {}
    for r in rows:
        if "commit" in r:
            groups.setdefault((r["commit"], r.get("machine", "?")), []).append(r.get("date", "?"))
    return ["Measured at commit `%s` on %s, %s." % (commit, machine, min(dates)) if len(set(dates)) == 1
            else "Measured at commit `%s` on %s, %s to %s." % (commit, machine, min(dates), max(dates))
            for (commit, machine), dates in sorted(groups.items())]


def heading(level, text):
    if level > 0:
        print("%s %s\n" % ("#" * level, text))


SERVER_KIND_TEXT = {
    "durable": "durable: every commit is flushed to disk before it returns",
    "test": "not durable, as a test server",
    "mixed": "some of its commits' flushes off",
    "?": "settings not all read",
}


def durability_line(rows):
    """What the server did with a commit, when the records say (older ones do not)."""
    kinds = {tuple(sorted(r["postgres_durability"].items(), key=lambda kv: kv[0])): server_kind(r)
             for r in rows if r.get("postgres_durability")}
    if not kinds:
        return None
    described = ["%s (%s)" % (SERVER_KIND_TEXT[kind], ", ".join("%s = %s" % kv for kv in setting))
                 for setting, kind in sorted(kinds.items(), key=lambda item: str(item[0]))]
    return "The server's commits: " + "; ".join(described) + "."


def throughput_table(rows, level):
    rows = latest(rows, lambda r: (r["library"], r["sampler"], r["processes"]))
    samplers = list(dict.fromkeys(r["sampler"] for r in rows))
    rows.sort(key=lambda r: (samplers.index(r["sampler"]), r["processes"],
                             LIBRARY_ORDER.index(r["library"]) if r["library"] in LIBRARY_ORDER
                             else len(LIBRARY_ORDER), r["library"]))
    rate = {(r["library"], r["sampler"], r["processes"]): r.get("trials_per_s") for r in rows}

    heading(level, "Processes sharing one study in PostgreSQL: ask/tell throughput and latency")
    for line in provenance_lines(rows):
        print(line)
    versions = sorted({"%s %s" % (r["library"], r.get("library_version", "?")) for r in rows})
    postgres = sorted({r["postgres_version"].split()[0] for r in rows if r.get("postgres_version")})
    bounds = sorted({(r.get("seconds"), r.get("trials_per_process")) for r in rows})
    print("%s%s. Each configuration is a fresh study; its processes ask and tell until %s, "
          "whichever comes first. Ask is `study.ask()` with the 10 `suggest_float` calls; the "
          "latencies are over all processes' trials." % (
              ", ".join(versions), ", PostgreSQL " + ", ".join(postgres) if postgres else "",
              " or ".join("%s s or %s trials per process" % (fmt(s), t) for s, t in bounds)))
    durability = durability_line(rows)
    if durability:
        print(durability)
    cores = sorted({r["cores"] for r in rows if r.get("cores")})
    crowded = sorted({r["processes"] for r in rows if cores and r["processes"] > min(cores)})
    if crowded:
        print("The machine has %s cores, so at %s processes they also contend for the CPU "
              "(with the database server)." % ("/".join(map(str, cores)),
                                                ", ".join(map(str, crowded))))
    print()
    # Older records have no CPU figures: the columns appear when some record has them.
    with_cpu = any("cpu_ms_per_trial" in r for r in rows)
    if with_cpu:
        print("CPU ms/trial: the whole machine's busy CPU time (clients and server) per trial; "
              "busy: its share of every core's time during the run.")
        print()
    print("| sampler | processes | library | trials | trials/s | winnow / optuna "
          "| ask p50 ms | ask p99 ms | tell p50 ms | tell p99 ms |" +
          (" CPU ms/trial | busy |" if with_cpu else ""))
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if with_cpu else ""))
    notes = []
    for r in rows:
        if "error" in r:
            notes.append("%s %s at %d processes failed: %s" % (
                r["library"], r["sampler"], r["processes"], r["error"]))
            print("| %s | %d | %s | failed | - | - | - | - | - | - |" % (
                r["sampler"], r["processes"], r["library"]) + (" - | - |" if with_cpu else ""))
            continue
        trials = str(r["trials"])
        if r.get("stored_trials") is not None and r["stored_trials"] != r["trials"]:
            trials += " (%d stored)" % r["stored_trials"]
            notes.append("%s %s at %d processes: %d tells returned but %d complete trials "
                         "stored." % (r["library"], r["sampler"], r["processes"], r["trials"],
                                      r["stored_trials"]))
        ratio = "-"
        if r["library"] == "winnow":
            optuna = rate.get(("optuna", r["sampler"], r["processes"]))
            if optuna and r.get("trials_per_s"):
                ratio = "%.2fx" % (r["trials_per_s"] / optuna)
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["sampler"], r["processes"], r["library"], trials, fmt(r.get("trials_per_s")),
            ratio, fmt(r.get("ask_p50_ms")), fmt(r.get("ask_p99_ms")),
            fmt(r.get("tell_p50_ms")), fmt(r.get("tell_p99_ms"))) +
              (" %s | %s |" % (fmt(r.get("cpu_ms_per_trial")), fmt(r.get("cpu_busy_share")))
               if with_cpu else ""))
    if notes:
        print()
        for note in notes:
            print("- " + note)


def objective_table(rows, level):
    """Runs whose objective sleeps (--objective-ms): how close to P x 1000 / M trials per second
    the processes came."""
    rows = latest(rows, lambda r: (r["library"], r["sampler"], r["processes"], r["objective_ms"]))
    samplers = list(dict.fromkeys(r["sampler"] for r in rows))
    rows.sort(key=lambda r: (r["objective_ms"], samplers.index(r["sampler"]), r["processes"],
                             LIBRARY_ORDER.index(r["library"]) if r["library"] in LIBRARY_ORDER
                             else len(LIBRARY_ORDER), r["library"]))
    heading(level, "Processes sharing one study in PostgreSQL, with an objective that takes time")
    for line in provenance_lines(rows):
        print(line)
    versions = sorted({"%s %s" % (r["library"], r.get("library_version", "?")) for r in rows})
    bounds = sorted({(r.get("seconds"), r.get("trials_per_process")) for r in rows})
    print("%s. Each trial's objective sleeps for the time shown (one running elsewhere, taking "
          "no CPU here), so P processes can make at most P x 1000 / ms trials per second: the "
          "ideal column. Each configuration runs until %s." % (
              ", ".join(versions),
              " or ".join("%s s or %s trials per process" % (fmt(s), t) for s, t in bounds)))
    print()
    print("| objective ms | sampler | processes | library | trials | ideal trials/s | trials/s "
          "| share of ideal | ask p50 ms | ask p99 ms | busy |")
    print("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print("| %s | %s | %d | %s | failed | %s | - | - | - | - | - |" % (
                fmt(r["objective_ms"]), r["sampler"], r["processes"], r["library"],
                fmt(r.get("ideal_trials_per_s"))))
            continue
        print("| %s | %s | %d | %s | %d | %s | %s | %s | %s | %s | %s |" % (
            fmt(r["objective_ms"]), r["sampler"], r["processes"], r["library"], r["trials"],
            fmt(r.get("ideal_trials_per_s")), fmt(r.get("trials_per_s")),
            "%.0f%%" % (100 * r["share_of_ideal"]) if r.get("share_of_ideal") is not None else "-",
            fmt(r.get("ask_p50_ms")), fmt(r.get("ask_p99_ms")), fmt(r.get("cpu_busy_share"))))


def server_kind(record):
    """"durable" when the record's PostgreSQL server flushed every commit, "test" when it
    flushed none (the test server's settings; older records do not say, and ran on those),
    "mixed" for other settings and "?" when a setting could not be read."""
    values = list((record.get("postgres_durability") or {}).values())
    if not values or all(value == "off" for value in values):
        return "test"
    if any(value is None for value in values):
        return "?"
    return "durable" if all(value == "on" for value in values) else "mixed"


def scheduling_table(rows, level):
    def storage_of(r):
        kind = server_kind(r) if r.get("storage", "postgresql") == "postgresql" else "test"
        return r.get("storage", "postgresql") + ("" if kind == "test" else " (%s)" % kind)

    rows = latest(rows, lambda r: (storage_of(r), r["workers"], r["jobs"], r["trials"]))
    rows.sort(key=lambda r: (r["trials"], r["workers"], r["jobs"], storage_of(r) != "postgresql"))

    heading(level, "`winnow worker` processes sharing one study: scheduling")
    for line in provenance_lines(rows):
        print(line)
    sleeps = sorted({r["sleep_s"] for r in rows})
    print("Every trial sleeps %s s; the ideal wall time is ceil((trials - 1) / (workers x jobs)) "
          "x the sleep, the first trial having run before the workers started. A trial's mean "
          "duration is its stored start to end (spawning the objective, the sleep, reading the "
          "result); the gaps between trials are the rest." % (" or ".join(fmt(s) for s in sleeps)))
    print()
    print("| storage | workers | jobs | trials | ideal s | wall s | overhead | slot utilisation "
          "| mean trial s | stored (complete) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    for r in rows:
        stored = "%d (%d)" % (r["stored_trials"], r["complete"])
        if r["stored_trials"] != r["trials"] or r["complete"] != r["trials"]:
            stored += " !"
            notes.append("%d workers x %d jobs: %d trials asked for, states %s." % (
                r["workers"], r["jobs"], r["trials"],
                ", ".join("%s %d" % kv for kv in sorted(r.get("states", {}).items()))))
        utilisation = r.get("utilisation_pct")
        print("| %s | %d | %d | %d | %s | %s | %+.2f%% | %s | %s | %s |" % (
            storage_of(r), r["workers"], r["jobs"], r["trials"], fmt(r["ideal_s"], 4),
            fmt(r["wall_s"], 4), r["overhead_pct"],
            "-" if utilisation is None else "%.1f%%" % utilisation,
            fmt(r.get("trial_mean_s"), 4) if r.get("trial_mean_s") else "-", stored))
    if notes:
        print()
        for note in notes:
            print("- " + note)


def faults_table(rows, level):
    # Every run is its own finding, a failed one most of all: none replaces another.
    heading(level, "`winnow worker` processes killed at random: completed trials intact")
    for line in provenance_lines(rows):
        print(line)
    print("Each run keeps the workers going, SIGKILLs a random one at random intervals and starts "
          "another in its place; its checks: every trial once seen complete is unchanged at the "
          "end, exactly the budget is complete, nothing is left running or waiting, every "
          "other trial failed as interrupted, and no configuration is complete twice.")
    print()
    print("Server: durable when every commit is flushed to disk (PostgreSQL's default), test for "
          "the test server's settings (none is), mixed for others.")
    print()
    print("| server | trials | workers | kills | interrupted | requeued | wall s | result |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    notes = []
    for r in rows:
        kills = str(r["kills"])
        if r.get("kills_requested") not in (None, r["kills"]):
            kills += " of %d" % r["kills_requested"]
        failed = [name for name in ("completed_intact", "budget_exact", "none_left_running",
                                    "failed_all_interrupted", "configurations_distinct",
                                    "kills_done", "workers_clean") if r.get(name) is False]
        if failed:
            notes.append("%s, %d trials: %s failed; %s" % (
                r.get("date", "?"), r["trials"], ", ".join(failed),
                json.dumps(r.get("details", {}))))
        print("| %s | %d | %d | %s | %d | %s | %s | %s |" % (
            server_kind(r), r["trials"], r["workers"], kills,
            r["interrupted_trials"],
            "-" if r.get("requeued") is None else r["requeued"], fmt(r["wall_s"], 4),
            "pass" if r.get("pass") else "**fail**: " + ", ".join(failed)))
    if notes:
        print()
        for note in notes:
            print("- " + note)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", help="JSONL files of either benchmark")
    parser.add_argument("--heading-level", type=int, default=3,
                        help="Markdown level of each table's heading; 0 prints none (default 3)")
    args = parser.parse_args()

    rows = [r for path in args.results for r in load(path)]
    throughput = [r for r in rows if "processes" in r and "library" in r
                  and not r.get("objective_ms")]
    objective = [r for r in rows if "processes" in r and "library" in r and r.get("objective_ms")]
    # Fault runs have workers and jobs too; their kills set them apart.
    faults = [r for r in rows if "kills" in r]
    scheduling = [r for r in rows if "workers" in r and "jobs" in r and "kills" not in r]
    tables = [(throughput_table, throughput), (objective_table, objective),
              (scheduling_table, scheduling),
              (faults_table, faults)]
    tables = [(table, chosen) for table, chosen in tables if chosen]
    if not tables:
        sys.exit("summarize.py: no record of bench/distributed/throughput.py, scheduling.sh or "
                 "kill_stress.py in %s" % ", ".join(args.results))
    for i, (table, chosen) in enumerate(tables):
        if i > 0:
            print()
        table(chosen, args.heading_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
