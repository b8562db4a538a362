#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Throughput and latency of many processes sharing one study in PostgreSQL, Winnow's Python
module against Optuna's RDBStorage on the same server (and a floor of what the machine allows).

For each (library, sampler, process count) a fresh study is created, then P worker processes
(this file with --worker) open it, wait until every one of them is ready, and ask and tell in a
loop until a shared deadline (--seconds) or their quota (--trials-per-process), whichever comes
first. The objective suggests 10 floats and returns their sum of squares, so the time is the
libraries' own: sampling, storage round trips and the Python calls. A worker times each ask
(study.ask() and the 10 suggest_float calls: either library may sample and write parameters at
suggest time) and each tell with time.perf_counter. One JSON line per configuration: trials
completed, wall time from the first ask to the last tell, trials per second, and ask and tell
latency percentiles over all processes, with commit, machine and date.

With --objective-ms M, each trial's objective also sleeps M ms between the ask and the tell: an
objective that runs elsewhere (a GPU, a cluster job) and takes no CPU here. The processes then
cannot exceed P x 1000 / M trials per second between them, and the records give that ideal and
the share of it reached: where the share falls, the storage (or the sampler's decision under
the study's lock) is the limit, not the objective.

Each run starts on a quiet server: the database the previous run wrote to is vacuumed first
(VACUUM ANALYZE, untimed), so autovacuum cleaning one library's rows does not run during the
other library's measurement.

The server the script starts is the tests' (tests/postgres/server.sh): commits are not flushed
to disk (fsync, synchronous_commit and full_page_writes off), which measures the libraries
rather than the disk. --durable starts it with PostgreSQL's durable settings instead, as a
production server runs, where every commit waits for its flush. Each record names the server's
settings.

--libraries may also name "floor" (floor.py, beside this file): the same loop and the round
trips Winnow's random sampling makes, with nothing that orders the processes (no study-wide
lock, numbers or versions), so what the machine allows at each process count; Winnow's share of
it, across process counts, tells where the database's ordering is the limit.

Winnow's tables live in the server's database winnow_test; Optuna's in database optuna_bench
and the floor's in floor_bench, of the same server, so their tables cannot collide. Without
--postgres-url the script starts its own server with tests/postgres/server.sh in a temporary
folder and stops it at the end.
Process counts above the machine's cores measure contention for the CPU as well as for the
database; the records name the machine, so read them with that in mind.

    PYTHONPATH=build/python /usr/bin/python3 bench/distributed/throughput.py
    /usr/bin/python3 bench/distributed/throughput.py --libraries optuna --processes 1,4 \\
        --samplers random --seconds 5 --out /tmp/distributed.jsonl
"""

import argparse
import datetime
import json
import os
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from bench_stats import quantile  # noqa: E402

SERVER_SCRIPT = os.path.join(ROOT, "tests", "postgres", "server.sh")
OPTUNA_DATABASE = "optuna_bench"
FLOOR_DATABASE = "floor_bench"
DIMENSIONS = 10
# What makes a result "+dirty": the code that ran, not docs, tests or earlier results.
MEASURED_PATHS = ["src", "include", "cli", "python", "cmake", "CMakeLists.txt", "bench/distributed"]
# How long the parent waits for P processes to import their library and open the study: on a
# small machine 64 interpreters importing Optuna take a while.
READY_TIMEOUT_S = 600
# Beyond the deadline, how long a worker may take to finish its last trial and write its file.
FINISH_MARGIN_S = 120


def provenance(argv):
    """commit/dirty/command/machine/date as bench/record_results.sh writes them (the commit with
    "+dirty" when the measured code has uncommitted changes), stamped once per run: records of
    one run share their date, which is how bench/render_benchmarks.py finds the latest run."""
    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    commit = git("rev-parse", "--short=12", "HEAD").stdout.strip() or "unknown"
    dirty = git("diff", "--quiet", "HEAD", "--", *MEASURED_PATHS).returncode == 1
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    uname = os.uname()
    program = os.path.relpath(os.path.abspath(argv[0]), ROOT) if os.path.exists(argv[0]) else argv[0]
    return {
        "commit": commit + ("+dirty" if dirty else ""),
        "dirty": dirty,
        "command": shlex.join([program] + list(argv[1:])),
        "machine": f"{cpu}, {os.cpu_count()} cores, {uname.sysname} {uname.release}",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# -- the libraries, behind the same few calls -----------------------------------------------------
def import_library(name):
    if name == "winnow":
        try:
            import winnow as lib
        except ImportError as e:
            sys.exit(f"throughput.py: cannot import winnow ({e}); build the Python module and "
                     f"run with PYTHONPATH=build/python or --build-dir build")
    elif name == "optuna":
        import optuna as lib
    elif name == "floor":
        import floor as lib  # this folder's: the loop with nothing that orders the processes
    else:
        sys.exit(f"throughput.py: unknown library {name!r} (winnow, optuna or floor)")
    lib.logging.set_verbosity(lib.logging.WARNING)
    return lib


SAMPLER_CLASSES = {"random": "RandomSampler", "tpe": "TPESampler", "gp": "GPSampler"}


def make_sampler(lib, name, seed):
    if name not in SAMPLER_CLASSES:
        sys.exit(f"throughput.py: unknown sampler {name!r} (random, tpe or gp)")
    # Optuna 3.1 has no GP sampler, the floor only random sampling: the runs skip the others.
    sampler_class = getattr(lib.samplers, SAMPLER_CLASSES[name], None)
    return sampler_class(seed=seed) if sampler_class else None


def storage_for(lib, library, url):
    if library == "optuna":
        return lib.storages.RDBStorage(url)
    return url


def open_study(library, sampler, url, study_name, seed):
    lib = import_library(library)
    return lib, lib.create_study(storage=storage_for(lib, library, url), study_name=study_name,
                                 sampler=make_sampler(lib, sampler, seed), direction="minimize",
                                 load_if_exists=True)


# -- worker mode ----------------------------------------------------------------------------------
def worker(args):
    """Opens the study, says "ready" on stdout, waits for "go DEADLINE" on stdin, then asks and
    tells until the deadline (time.time()) or its quota, and writes its timings to --result."""
    _, study = open_study(args.library, args.sampler, args.url, args.study, args.seed)
    print("ready", flush=True)
    line = sys.stdin.readline().split()
    if len(line) != 2 or line[0] != "go":
        return 1  # the parent gave up on this configuration
    deadline = float(line[1])
    asks, tells = [], []
    first_start = last_end = None
    now = time.time()
    while len(tells) < args.quota and now < deadline:
        if first_start is None:
            first_start = now
        begin = time.perf_counter()
        trial = study.ask()
        xs = [trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(DIMENSIONS)]
        asked = time.perf_counter()
        value = sum(x * x for x in xs)
        if args.objective_ms > 0:
            time.sleep(args.objective_ms / 1e3)
        told_begin = time.perf_counter()
        study.tell(trial, value)
        told = time.perf_counter()
        asks.append((asked - begin) * 1e3)
        tells.append((told - told_begin) * 1e3)
        now = last_end = time.time()
    with open(args.result, "w") as f:
        json.dump({"asks_ms": asks, "tells_ms": tells, "first_start": first_start,
                   "last_end": last_end}, f)
    return 0


# -- the server -----------------------------------------------------------------------------------
def psql_binary():
    candidate = os.path.join(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"), "psql")
    if os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("psql")
    if not found:
        sys.exit("throughput.py: psql not found; install postgresql-15 or set PG_BIN")
    return found


def psql(url, sql):
    result = subprocess.run([psql_binary(), "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1",
                             "-d", url, "-c", sql], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"throughput.py: psql {sql!r} on {url} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def with_database(url, database, scheme=None):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((scheme or parts.scheme, parts.netloc, "/" + database,
                                    parts.query, parts.fragment))


def database_beside(url, database):
    """The same server's database `database`, created if missing."""
    exists = psql(url, f"select 1 from pg_database where datname = '{database}'")
    if exists != "1":
        psql(url, f"create database {database}")
    return with_database(url, database)


def optuna_url(url):
    """The same server, database optuna_bench, through SQLAlchemy's psycopg2 driver."""
    return with_database(database_beside(url, OPTUNA_DATABASE), OPTUNA_DATABASE,
                         scheme="postgresql+psycopg2")


# -- one configuration ----------------------------------------------------------------------------
def stop_workers(processes):
    for process in processes:
        if process.poll() is None:
            process.kill()
    for process in processes:
        process.wait()


def error_tail(path, lines=15):
    try:
        with open(path) as f:
            return "".join(f.readlines()[-lines:]).strip()
    except OSError:
        return ""


def run_configuration(library, sampler, processes, url, args, folder):
    """Runs one configuration; returns its figures, or {"error": ...} when a process failed."""
    study_name = f"throughput-{library}-{sampler}-p{processes}-{uuid.uuid4().hex[:12]}"
    # The parent creates the study (and, in an empty database, the tables) so that the workers
    # only open it and never race to create it.
    lib, study = open_study(library, sampler, url, study_name, args.seed)
    del study
    command = [sys.executable, os.path.abspath(__file__), "--worker", "--library", library,
               "--sampler", sampler, "--url", url, "--study", study_name,
               "--quota", str(args.trials_per_process), "--objective-ms", repr(args.objective_ms)]
    env = dict(os.environ)
    if args.build_dir:
        env["PYTHONPATH"] = os.pathsep.join(
            [os.path.join(os.path.abspath(args.build_dir), "python")] +
            ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    workers = []
    try:
        for index in range(processes):
            base = os.path.join(folder, f"{study_name}-{index}")
            # Each process its own seed, so that random and start-up samples differ between them.
            stderr = open(base + ".stderr", "w")
            workers.append((subprocess.Popen(
                command + ["--seed", str(args.seed + 1 + index), "--result", base + ".json"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
                env=env), base))
            stderr.close()
        # Every process has imported its library and opened the study before the clock starts.
        give_up = time.time() + READY_TIMEOUT_S
        for process, base in workers:
            waiting, _, _ = select.select([process.stdout], [], [], max(0.0, give_up - time.time()))
            if not waiting:
                return {"error": f"a {library} process was not ready after {READY_TIMEOUT_S} s"}
            if process.stdout.readline().strip() != "ready":
                process.wait()
                return {"error": f"a {library} process did not start (exit "
                                 f"{process.returncode}): {error_tail(base + '.stderr')}"}
        deadline = time.time() + args.seconds
        busy_before, clock_before = machine_cpu_seconds(), time.monotonic()
        for process, _ in workers:
            try:
                process.stdin.write(f"go {deadline!r}\n")
                process.stdin.close()
            except BrokenPipeError:
                pass  # it died after saying ready; its exit status below tells why
        for process, base in workers:
            try:
                status = process.wait(timeout=max(1.0, deadline - time.time()) + FINISH_MARGIN_S)
            except subprocess.TimeoutExpired:
                return {"error": f"a {library} process was still running {FINISH_MARGIN_S} s "
                                 f"after the deadline"}
            if status != 0:
                return {"error": f"a {library} process exited with status {status}: "
                                 f"{error_tail(base + '.stderr')}"}
        busy = machine_cpu_seconds() - busy_before
        elapsed = time.monotonic() - clock_before
    finally:
        stop_workers([process for process, _ in workers])

    asks, tells, starts, ends = [], [], [], []
    quotas_met = 0
    for _, base in workers:
        with open(base + ".json") as f:
            result = json.load(f)
        quotas_met += len(result["tells_ms"]) >= args.trials_per_process
        asks += result["asks_ms"]
        tells += result["tells_ms"]
        if result["first_start"] is not None:
            starts.append(result["first_start"])
            ends.append(result["last_end"])
    if not tells:
        return {"error": "no trial was completed before the deadline"}
    asks.sort()
    tells.sort()
    wall = max(ends) - min(starts)
    # What the storage holds, counted by a fresh connection: every tell must have landed once.
    stored = len(open_study(library, sampler, url, study_name, args.seed)[1].get_trials(
        deepcopy=False, states=(lib.trial.TrialState.COMPLETE,)))
    return {
        "trials": len(tells),
        "stored_trials": stored,
        # Which bound ended the run: every process's quota, or the deadline.
        "limited_by": "trials" if quotas_met == len(workers) else "seconds",
        "wall_s": round(wall, 3),
        "trials_per_s": round(len(tells) / wall, 2) if wall > 0 else None,
        "ask_p50_ms": round(quantile(asks, 0.50), 3),
        "ask_p99_ms": round(quantile(asks, 0.99), 3),
        "tell_p50_ms": round(quantile(tells, 0.50), 3),
        "tell_p99_ms": round(quantile(tells, 0.99), 3),
        # The whole machine's busy CPU (clients, server and anything else) over the run: per
        # trial, and as a share of every core's time. Near 1, the machine is the limit.
        "cpu_ms_per_trial": round(1000 * busy / len(tells), 3),
        "cpu_busy_share": round(busy / (elapsed * (os.cpu_count() or 1)), 3),
    }


def machine_cpu_seconds():
    """Busy CPU seconds of every core since boot, from /proc/stat (idle and iowait excluded)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def library_version(library):
    return import_library(library).__version__


def emit(record, out):
    line = json.dumps(record)
    print(line, flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "a") as f:
        f.write(line + "\n")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--libraries", default="winnow,optuna")
    parser.add_argument("--samplers", default="random,tpe")
    parser.add_argument("--processes", default="1,4,16,64")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="time limit of each configuration's ask/tell loop (default 20)")
    parser.add_argument("--trials-per-process", type=int, default=200,
                        help="each process stops after this many trials (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--objective-ms", type=float, default=0.0,
                        help="each objective sleeps this long, as one running elsewhere would "
                             "(default 0: a trivial objective)")
    parser.add_argument("--postgres-url",
                        help="an existing server's database for Winnow (postgresql://...); "
                             "Optuna's database optuna_bench and the floor's floor_bench are "
                             "created beside it. Default: a "
                             "server of its own, started with tests/postgres/server.sh")
    parser.add_argument("--durable", action="store_true",
                        help="start the server with PostgreSQL's durable settings (fsync, "
                             "synchronous_commit and full_page_writes on) rather than the test "
                             "server's, as a production server runs")
    parser.add_argument("--build-dir", help="put BUILD_DIR/python first on the module path")
    parser.add_argument("--module-commit",
                        help="the commit the module in --build-dir was built from, recorded as "
                             "module_commit (to compare two builds interleaved in one sitting)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "distributed.jsonl"),
                        help="JSON-lines file the records are appended to")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--sampler", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--study", help=argparse.SUPPRESS)
    parser.add_argument("--quota", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_dir:
        sys.path.insert(0, os.path.join(os.path.abspath(args.build_dir), "python"))
    if args.worker:
        return worker(args)

    libraries = args.libraries.split(",")
    samplers = args.samplers.split(",")
    counts = [int(p) for p in args.processes.split(",")]
    if args.seconds <= 0 or args.trials_per_process < 1 or min(counts) < 1:
        sys.exit("throughput.py: --seconds, --trials-per-process and --processes must be positive")
    if args.objective_ms < 0:
        sys.exit("throughput.py: --objective-ms must be 0 or more")
    if args.durable and args.postgres_url:
        sys.exit("throughput.py: --durable sets up the server the script starts; a server given "
                 "by --postgres-url keeps its own settings (they are recorded either way)")
    versions = {library: library_version(library) for library in libraries}
    for sampler in samplers:
        make_sampler(import_library(libraries[0]), sampler, 0)  # refuses a typo before the runs
    stamp = provenance(sys.argv)
    out = os.path.abspath(args.out)

    server_dir = None
    folder = tempfile.mkdtemp(prefix="winnow-throughput-")
    failed = 0
    try:
        url = args.postgres_url
        if not url:
            server_dir = tempfile.mkdtemp(prefix="winnow-pg-")
            started = subprocess.run([SERVER_SCRIPT, "start", server_dir], capture_output=True,
                                     text=True, env={**os.environ, "WINNOW_PG_DURABLE": "1"
                                                     if args.durable else "0"})
            if started.returncode != 0:
                sys.exit(f"throughput.py: {SERVER_SCRIPT} start failed:\n{started.stderr}")
            with open(os.path.join(server_dir, "url")) as f:
                url = f.read().strip()
        postgres_version = psql(url, "show server_version")
        # What the server really does with a commit, whoever started it.
        durability = {name: psql(url, "show " + name)
                      for name in ("fsync", "synchronous_commit", "full_page_writes")}
        urls = {"winnow": url}
        plain_urls = {"winnow": url}  # for psql
        if "optuna" in libraries:
            urls["optuna"] = optuna_url(url)
            plain_urls["optuna"] = with_database(url, OPTUNA_DATABASE)
        if "floor" in libraries:
            urls["floor"] = plain_urls["floor"] = database_beside(url, FLOOR_DATABASE)
        last_written = None
        for sampler in samplers:
            for processes in counts:
                for library in libraries:
                    if make_sampler(import_library(library), sampler, 0) is None:
                        print(f"throughput.py: {library} has no {sampler} sampler; skipped",
                              file=sys.stderr)
                        continue
                    if last_written:
                        psql(plain_urls[last_written], "VACUUM ANALYZE")
                    # Another program busy on the machine shows here, beside the figures it skews.
                    load_before = float(open("/proc/loadavg").read().split()[0])
                    figures = run_configuration(library, sampler, processes, urls[library],
                                                args, folder)
                    last_written = library
                    failed += "error" in figures
                    if args.objective_ms > 0:
                        ideal = processes * 1e3 / args.objective_ms
                        figures["objective_ms"] = args.objective_ms
                        figures["ideal_trials_per_s"] = round(ideal, 2)
                        if figures.get("trials_per_s"):
                            figures["share_of_ideal"] = round(figures["trials_per_s"] / ideal, 3)
                    emit({**stamp, "cores": os.cpu_count(), "library": library,
                          "library_version": versions[library], "sampler": sampler,
                          "processes": processes, "seconds": args.seconds,
                          "trials_per_process": args.trials_per_process,
                          "load_before": load_before, **figures,
                          **({"module_commit": args.module_commit} if args.module_commit else {}),
                          "postgres_version": postgres_version,
                          "postgres_durability": durability}, out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if server_dir:
            subprocess.run([SERVER_SCRIPT, "stop", server_dir], capture_output=True)
            shutil.rmtree(server_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
