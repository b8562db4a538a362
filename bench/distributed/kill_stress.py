#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Fault test of `winnow worker` on PostgreSQL: a study of T trials survives K random worker kills
with every completed trial intact.

W workers share one study whose objective is instant (`sh -c 'echo $0' {x}`), so the run is all
coordination. Every few seconds (randomised around an interval chosen from the progress so far,
so that the K kills spread over the run) a random live worker gets SIGKILL and a new one takes
its place at once; once K workers have been killed the rest finish the budget. Meanwhile the
script exports the study every few seconds and remembers the values and parameters of every
trial it saw complete. At the end it checks that:

  completed_intact         every trial seen complete is still complete, with the same values
                           and parameters, and no two snapshots disagreed about one;
  budget_exact             exactly T trials are complete;
  none_left_running        no trial is left running or waiting;
  failed_all_interrupted   every trial that is not complete failed as interrupted, and there are
                           at most K x jobs of them (a killed worker loses at most its jobs);
  configurations_distinct  no configuration appears in two complete trials;
  kills_done               all K kills happened before the study was finished;
  workers_clean            every worker that was not killed exited with status 0.

The study has `requeue_interrupted = true` and a 5 s lease, so a killed worker's trials go back
to the queue (once) and are run again; `requeued` counts the trials that were. One JSON line,
stamped with the commit, command, machine and date, is appended to --out; the exit status is 1
when a check fails (the line is written all the same, since that is a finding).

    /usr/bin/python3 bench/distributed/kill_stress.py                   # 10,000 trials, 100 kills
    /usr/bin/python3 bench/distributed/kill_stress.py --trials 600 --workers 6 --kills 10 \\
        --out /tmp/kill.jsonl                                           # quick check

Without --postgres-url the script starts a throwaway server with tests/postgres/server.sh and
stops it at the end. With --keep, or when a check fails, the temporary folder with the study
file, the workers' logs and the final export is kept and named.
"""

import argparse
import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER_SCRIPT = os.path.join(ROOT, "tests", "postgres", "server.sh")

JOBS = 4
LEASE_S = 5
# The kills are spread over this share of the expected rest of the run, so that they are all
# done while the workers still have trials to lose.
KILL_SPAN = 0.4
SHORTEST_KILL_INTERVAL_S = 0.05
# How many offending trial numbers a record lists per check.
LISTED = 20

STUDY_FILE = """\
[study]
name = "{name}"
direction = "minimize"
sampler = "random"
seed = 1
trials = {trials}
jobs = {jobs}
lease = "{lease}s"
requeue_interrupted = true

[objective]
# The value is x itself; sh starts in about a millisecond, so the run measures coordination.
command = ["sh", "-c", "echo $0", "{{x}}"]

[space]
x = {{ type = "float", low = 0.0, high = 1.0 }}
k = {{ type = "int", low = 0, high = 100000 }}
"""


def load_provenance():
    """throughput.py's provenance(), so that every distributed record carries the same stamp."""
    spec = importlib.util.spec_from_file_location("throughput", os.path.join(HERE, "throughput.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.provenance


def fail(message):
    sys.exit("kill_stress.py: " + message)


def find_winnow(args):
    if args.winnow:
        path = os.path.abspath(args.winnow)
    elif args.build_dir:
        path = os.path.join(os.path.abspath(args.build_dir), "winnow")
    else:
        # The release build when there is one; the test build otherwise.
        candidates = [os.path.join(ROOT, d, "winnow") for d in ("build", "build-test")]
        path = next((c for c in candidates if os.access(c, os.X_OK)), candidates[0])
    if not os.access(path, os.X_OK):
        fail(f"{path} not found; build it (scripts/build.sh build --target winnow) or pass "
             f"--winnow PATH")
    return path


def psql_binary():
    candidate = os.path.join(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"), "psql")
    return candidate if os.access(candidate, os.X_OK) else shutil.which("psql")


def psql(url, sql):
    """The query's output, or None when psql is missing or fails (the figures it feeds are
    extras, not checks)."""
    binary = psql_binary()
    if not binary:
        return None
    result = subprocess.run([binary, "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d", url,
                             "-c", sql], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def export(winnow, url, study):
    """Every trial of the study, by number; raises RuntimeError when the export fails."""
    result = subprocess.run([winnow, "export", "--storage", url, "--study", study,
                             "--format", "jsonl"], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"winnow export exited with status {result.returncode}: "
                           f"{result.stderr.strip()}")
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {row["number"]: row for row in rows}, result.stdout


def configuration(params):
    return json.dumps(params, sort_keys=True)


class Snapshots:
    """Exports the study every `every` seconds on a thread of its own and remembers, for every
    trial seen complete, its values and parameters as first seen."""

    def __init__(self, winnow, url, study, every):
        self.winnow, self.url, self.study, self.every = winnow, url, study, every
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.seen = {}          # number -> (values, params) when first seen complete
        self.disagreements = {}  # number -> what a later snapshot said instead
        self.count = 0
        self.errors = []
        self.progress = []      # (time, complete trials) per snapshot
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def take(self):
        now = time.monotonic()
        try:
            trials, _ = export(self.winnow, self.url, self.study)
        except (RuntimeError, ValueError) as e:
            with self.lock:
                self.errors.append(str(e))
            return
        with self.lock:
            self.count += 1
            complete = 0
            for number, row in trials.items():
                if row["state"] != "complete":
                    continue
                complete += 1
                entry = (row["values"], row["params"])
                first = self.seen.setdefault(number, entry)
                if first != entry:
                    self.disagreements.setdefault(number, entry)
            self.progress.append((now, complete))

    def loop(self):
        while not self.stop.wait(self.every):
            self.take()

    def latest_progress(self):
        with self.lock:
            return self.progress[-1] if self.progress else None


class Workers:
    """The worker processes, each with its own stdout and stderr file in `folder`."""

    def __init__(self, winnow, url, study, trials, folder):
        self.command = [winnow, "worker", "--storage", url, "--study", study,
                        "--trials", str(trials), "-q"]
        self.folder = folder
        self.all = []    # (index, Popen)
        self.killed = set()
        self.failed = []  # (index, status, stderr tail) of workers that exited badly

    def start(self):
        index = len(self.all)
        base = os.path.join(self.folder, f"worker-{index}")
        with open(base + ".out", "w") as out, open(base + ".stderr", "w") as err:
            process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=err)
        self.all.append((index, process))

    def live(self):
        return [(i, p) for i, p in self.all if p.poll() is None]

    def kill(self, index, process):
        """SIGKILLs the worker and reaps it; True when the kill is what ended it (it may have
        finished the budget and exited on its own just before)."""
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.returncode == -signal.SIGKILL:
            self.killed.add(index)
            return True
        return False

    def stderr_tail(self, index, lines=10):
        try:
            with open(os.path.join(self.folder, f"worker-{index}.stderr")) as f:
                return "".join(f.readlines()[-lines:]).strip()
        except OSError:
            return ""

    def check_exits(self):
        self.failed = [(i, p.returncode, self.stderr_tail(i)) for i, p in self.all
                       if p.returncode is not None and p.returncode != 0 and i not in self.killed]

    def kill_all(self):
        for _, process in self.all:
            if process.poll() is None:
                process.kill()
        for _, process in self.all:
            process.wait()


def kill_interval(snapshots, started, trials, first_complete, kills_left, every):
    """Mean time to the next kill: the expected rest of the run, from the progress since the
    workers started, spread over the kills still to do."""
    latest = snapshots.latest_progress()
    if latest is None or latest[1] <= first_complete or kills_left <= 0:
        return every
    at, complete = latest
    rate = (complete - first_complete) / max(at - started, 1e-3)
    remaining = max(trials - complete, 0) / rate - (time.monotonic() - at)
    return max(KILL_SPAN * remaining / kills_left, SHORTEST_KILL_INTERVAL_S)


def run(args, winnow, url, folder):
    study = f"kill-stress-{uuid.uuid4().hex[:8]}"
    study_path = os.path.join(folder, "study.toml")
    with open(study_path, "w") as f:
        f.write(STUDY_FILE.format(name=study, trials=args.trials, jobs=JOBS, lease=LEASE_S))
    # `winnow run` stores the definition (and runs trial 0) before any worker starts, so the
    # workers only join the study and never race to create it.
    created = subprocess.run([winnow, "run", study_path, "--storage", url, "--trials", "1", "-q"],
                             capture_output=True, text=True, cwd=folder)
    if created.returncode != 0:
        fail(f"winnow run (creating the study) exited with status {created.returncode}:\n"
             f"{created.stderr.strip()}")

    rng = random.Random(args.seed)
    snapshots = Snapshots(winnow, url, study, args.snapshot_every)
    workers = Workers(winnow, url, study, args.trials, folder)
    started = time.monotonic()
    for _ in range(args.workers):
        workers.start()
    snapshots.thread.start()
    kills = 0
    kill_times = []
    timed_out = False
    deadline = started + args.timeout
    try:
        next_kill = started + args.snapshot_every * rng.uniform(0.5, 1.5)
        while kills < args.kills:
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
                break
            live = workers.live()
            if not live:
                break  # the study was finished before every kill was done
            if now < next_kill:
                time.sleep(min(next_kill - now, 0.05))
                continue
            index, process = rng.choice(live)
            if workers.kill(index, process):
                kills += 1
                kill_times.append(time.monotonic() - started)
                workers.start()
            mean = kill_interval(snapshots, started, args.trials, 1, args.kills - kills,
                                 args.snapshot_every)
            next_kill = time.monotonic() + mean * rng.uniform(0.5, 1.5)
        for _, process in workers.all:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.0))
            except subprocess.TimeoutExpired:
                timed_out = True
                break
    finally:
        workers.kill_all()
        snapshots.stop.set()
        snapshots.thread.join()
    wall = time.monotonic() - started
    workers.check_exits()

    try:
        final, text = export(winnow, url, study)
    except (RuntimeError, ValueError) as e:
        fail(f"the final export failed: {e}")
    with open(os.path.join(folder, "final.jsonl"), "w") as f:
        f.write(text)
    snapshots.take()  # the final state counts as a snapshot too: it must agree with the others

    # -- the checks ---------------------------------------------------------------------------
    lost = sorted(n for n, (values, params) in snapshots.seen.items()
                  if n not in final or final[n]["state"] != "complete"
                  or final[n]["values"] != values or final[n]["params"] != params)
    lost = sorted(set(lost) | set(snapshots.disagreements))
    complete = [row for row in final.values() if row["state"] == "complete"]
    unfinished = sorted(n for n, row in final.items() if row["state"] in ("running", "waiting"))
    interrupted = sorted(n for n, row in final.items()
                         if row["state"] == "failed" and row.get("interrupted"))
    other = sorted(n for n, row in final.items()
                   if row["state"] not in ("complete", "running", "waiting")
                   and n not in interrupted)
    by_configuration = {}
    for row in complete:
        by_configuration.setdefault(configuration(row["params"]), []).append(row["number"])
    repeated = sorted(numbers for numbers in by_configuration.values() if len(numbers) > 1)
    # Requeues are not in the export; they are read from the tables when psql is at hand.
    requeued = psql(url, "SELECT count(*) FROM winnow_trials t JOIN winnow_studies s "
                         f"USING (study_id) WHERE s.name = '{study}' AND t.requeues > 0")
    checks = {
        "completed_intact": not lost,
        "budget_exact": len(complete) == args.trials,
        "none_left_running": not unfinished,
        "failed_all_interrupted": not other and len(interrupted) <= kills * JOBS,
        "configurations_distinct": not repeated,
        "kills_done": kills == args.kills,
        "workers_clean": not workers.failed and not timed_out,
    }
    details = {}
    if lost:
        details["lost_trials"] = lost[:LISTED]
        details["disagreeing_snapshots"] = {str(n): {"first": snapshots.seen.get(n),
                                                     "later": snapshots.disagreements[n]}
                                            for n in sorted(snapshots.disagreements)[:LISTED]}
    if unfinished:
        details["unfinished_trials"] = unfinished[:LISTED]
    if other:
        details["other_failed_trials"] = {
            str(n): {"state": final[n]["state"], "reason": final[n].get("failure_reason", "")}
            for n in other[:LISTED]}
    if repeated:
        details["repeated_configurations"] = repeated[:LISTED]
    if workers.failed:
        details["failed_workers"] = [{"worker": i, "status": status, "stderr": tail}
                                     for i, status, tail in workers.failed[:LISTED]]
    if timed_out:
        details["timed_out_after_s"] = args.timeout
    if snapshots.errors:
        details["snapshot_errors"] = snapshots.errors[:LISTED]
    figures = {
        "study": study,
        "trials": args.trials,
        "workers": args.workers,
        "jobs": JOBS,
        "lease_s": LEASE_S,
        "kills_requested": args.kills,
        "kills": kills,
        # When the first and last kill happened, against wall_s: how well the kills spread.
        "first_kill_s": round(kill_times[0], 3) if kill_times else None,
        "last_kill_s": round(kill_times[-1], 3) if kill_times else None,
        "worker_processes": len(workers.all),
        "interrupted_trials": len(interrupted),
        "requeued": int(requeued) if requeued and requeued.isdigit() else None,
        "stored_trials": len(final),
        "complete": len(complete),
        "snapshots": snapshots.count,
        "trials_seen_complete": len(snapshots.seen),
        "wall_s": round(wall, 3),
        **checks,
        "pass": all(checks.values()),
    }
    if details:
        figures["details"] = details
    return figures


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10000, help="trial budget (default 10000)")
    parser.add_argument("--workers", type=int, default=8,
                        help="worker processes kept running (default 8)")
    parser.add_argument("--kills", type=int, default=100, help="workers killed (default 100)")
    parser.add_argument("--snapshot-every", type=float, default=2.0,
                        help="seconds between exports of the study (default 2)")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="give up (and fail) after this many seconds (default 3600)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the choice of victims and intervals (default 0)")
    parser.add_argument("--build-dir", help="where the winnow binary is (default build, or "
                                            "build-test when build has none)")
    parser.add_argument("--winnow", help="the winnow binary (overrides --build-dir)")
    parser.add_argument("--postgres-url", help="an existing server's database (postgresql://...); "
                                               "default: a throwaway server of its own")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results",
                                                      "distributed_faults.jsonl"),
                        help="JSON-lines file the record is appended to")
    parser.add_argument("--durable", action="store_true",
                        help="start the server with PostgreSQL's durable settings (every commit "
                             "flushed to disk) rather than the test server's")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (study file, workers' logs, final export)")
    args = parser.parse_args()
    if args.trials < 2 or args.workers < 1 or args.kills < 0 or args.snapshot_every <= 0:
        fail("--trials must be >= 2, --workers >= 1, --kills >= 0 and --snapshot-every > 0")
    if args.durable and args.postgres_url:
        fail("--durable sets up the server the script starts; a server given by --postgres-url "
             "keeps its own settings (they are recorded either way)")
    winnow = find_winnow(args)
    stamp = load_provenance()(sys.argv)
    out = os.path.abspath(args.out)

    folder = tempfile.mkdtemp(prefix="winnow-kill-stress-")
    server_dir = None
    keep = args.keep
    try:
        url = args.postgres_url
        if not url:
            # Its own short path: the server's socket lives in it (at most 107 bytes).
            server_dir = tempfile.mkdtemp(prefix="winnow-pg-", dir="/tmp")
            started = subprocess.run([SERVER_SCRIPT, "start", server_dir], capture_output=True,
                                     text=True, env={**os.environ, "WINNOW_PG_DURABLE": "1"
                                                     if args.durable else "0"})
            if started.returncode != 0:
                fail(f"{SERVER_SCRIPT} start failed:\n{started.stderr}")
            with open(os.path.join(server_dir, "url")) as f:
                url = f.read().strip()
        postgres_version = psql(url, "show server_version")
        durability = {name: psql(url, "show " + name)
                      for name in ("fsync", "synchronous_commit", "full_page_writes")}
        winnow_version = subprocess.run([winnow, "--version"], capture_output=True,
                                        text=True).stdout.strip().split()[-1:]
        load_before = float(open("/proc/loadavg").read().split()[0])
        figures = run(args, winnow, url, folder)
        keep = keep or not figures["pass"]
    finally:
        if server_dir:
            subprocess.run([SERVER_SCRIPT, "stop", server_dir], capture_output=True)
            shutil.rmtree(server_dir, ignore_errors=True)
        if keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)

    record = {**stamp, "cores": os.cpu_count(), "load_before": load_before, **figures,
              "winnow": os.path.relpath(winnow, ROOT) if winnow.startswith(ROOT + os.sep)
              else winnow,
              "winnow_version": winnow_version[0] if winnow_version else None,
              "postgres_version": postgres_version, "postgres_durability": durability}
    print("%d trials, %d workers x %d jobs, lease %d s: %d of %d kills in %.1f s" % (
        figures["trials"], figures["workers"], JOBS, LEASE_S, figures["kills"],
        figures["kills_requested"], figures["wall_s"]))
    print("  trials stored %d, complete %d, interrupted %d, requeued %s; %d snapshots saw %d "
          "complete" % (figures["stored_trials"], figures["complete"],
                        figures["interrupted_trials"],
                        "?" if figures["requeued"] is None else figures["requeued"],
                        figures["snapshots"], figures["trials_seen_complete"]))
    for name in ("completed_intact", "budget_exact", "none_left_running", "failed_all_interrupted",
                 "configurations_distinct", "kills_done", "workers_clean"):
        print("  %-24s %s" % (name, "ok" if figures[name] else "FAILED"))
    for key, value in figures.get("details", {}).items():
        print("  %s: %s" % (key, json.dumps(value)))
    print("  %s" % ("pass" if figures["pass"] else "FAIL"))
    line = json.dumps(record)
    print(line, flush=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "a") as f:
        f.write(line + "\n")
    return 0 if figures["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
