#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""What the database lets a study's ordering reach on this machine, whatever the client.

Runs pgbench (C clients, prepared statements, each transaction one pipelined round trip) on
tables shaped as Winnow's (a study row holding the study's version and count, a trial row with
four indexes that refers to it, ten parameter rows that refer to the trial), with one shape of
a trial's transactions at a time, all clients on one study:

  lock         the serial section at its smallest: the study's advisory lock and a new version
               on the study's row, committed. No trial.
  ask          a trial as an ask made ahead creates it in three statements after the lock
               (src/storage/postgres_rows.cc, decision_reads and insert_ahead_statement): the
               new version with the stamp of the trials finished without the lock, the next
               number and whether a trial waits, then the trial's row and its ten parameters
               inserted with the budget's count, committed; then the tell (the trial finished
               with the pending version, and its value).
  ask_one_statement
               the same ask whole in one statement after the lock, as random sampling's ask
               makes it since it reads no history (ask_ahead_statement); then the tell.
  params_first the same as ask, but the trial's row (under a placeholder number) and its
               parameters are inserted before the lock, and only numbered under it; then the
               tell.
  unordered    the trial's row and parameters inserted with no lock, number or version; then
               the tell: the database work of throughput.py's floor.
  reserve      the ask in one statement without the parameters: the trial's row alone under
               the lock, its parameters inserted in a transaction of their own after it.
  block        one serial section per eight trials: the lock, the budget's count of eight and a
               new version with the stamp; then each of the eight trials inserted with no lock,
               pending until the next section stamps it, and told.
  ask_counters_apart, params_first_counters_apart
               ask and params_first with the study's version and count in a table of their
               own, so that the row every ask updates is not the one every trial refers to.

pgbench's clients cost the machine little, so each shape's trials per second are about
what the server allows that shape at each number of clients; a shape's fall with clients where
`unordered` holds up is the cost of its serial section. Every (shape, clients) run starts on
tables made afresh, holding a study in progress (--history finished trials), so that the plans
pgbench prepares are those of a study of that size. The shapes interleave within each round;
one JSON line per run.

    /usr/bin/python3 bench/distributed/serial_ceiling.py --clients 1,4,16,64 --seconds 4 \\
        --rounds 3 --out bench/results/distributed_serial_ceiling.jsonl
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import throughput  # noqa: E402

PENDING = "9223372036854775807"

SCHEMA = """
DROP TABLE IF EXISTS ceiling_values, ceiling_params, ceiling_trials, ceiling_studies,
                     ceiling_counters;
CREATE TABLE ceiling_studies (study_id bigint PRIMARY KEY, change_counter bigint NOT NULL,
                              counted_trials bigint NOT NULL);
INSERT INTO ceiling_studies VALUES (1, 0, 0);
CREATE TABLE ceiling_counters (study_id bigint PRIMARY KEY, change_counter bigint NOT NULL,
                               counted_trials bigint NOT NULL);
INSERT INTO ceiling_counters VALUES (1, 0, 0);
CREATE TABLE ceiling_trials (
  trial_id bigserial PRIMARY KEY,
  study_id bigint NOT NULL REFERENCES ceiling_studies ON DELETE CASCADE,
  number bigint NOT NULL, state text NOT NULL, start_ms bigint, end_ms bigint, owner text,
  version bigint NOT NULL, client_token text, heartbeat_ms bigint,
  UNIQUE (study_id, number));
CREATE INDEX ON ceiling_trials (study_id, version);
CREATE INDEX ON ceiling_trials (study_id, state, number);
CREATE TABLE ceiling_params (
  trial_id bigint NOT NULL REFERENCES ceiling_trials ON DELETE CASCADE, name text NOT NULL,
  real_value float8, PRIMARY KEY (trial_id, name));
CREATE TABLE ceiling_values (
  trial_id bigint NOT NULL REFERENCES ceiling_trials ON DELETE CASCADE, objective int NOT NULL,
  value float8, PRIMARY KEY (trial_id, objective));
"""

LOCK = "SELECT pg_advisory_xact_lock(1);"
NEW_VERSION_AND_STAMP = (
    "WITH c AS (UPDATE ceiling_studies SET change_counter = change_counter + 1 "
    "WHERE study_id = 1 RETURNING study_id, change_counter, counted_trials), "
    "s AS (UPDATE ceiling_trials SET version = (SELECT change_counter FROM c) "
    "WHERE study_id = (SELECT study_id FROM c) AND version = " + PENDING + ") "
    "SELECT change_counter, counted_trials FROM c;")
WAITING = "EXISTS (SELECT 1 FROM ceiling_trials WHERE study_id = 1 AND state = 'waiting')"
NEXT_AND_WAITING = ("SELECT (SELECT COALESCE(MAX(number) + 1, 0) FROM ceiling_trials "
                    "WHERE study_id = 1), " + WAITING + ";")
# Placeholders are negative: the next number is the next above the numbered trials.
NUMBERED_NEXT_AND_WAITING = NEXT_AND_WAITING.replace("study_id = 1)",
                                                     "study_id = 1 AND number >= 0)", 1)
# The conditions the ask's insert checks on the server: no waiting trial, the budget.
OK = (
    "s AS (SELECT change_counter, counted_trials FROM ceiling_studies WHERE study_id = 1), "
    "n AS (SELECT COALESCE(MAX(number) + 1, 0) AS next FROM ceiling_trials "
    "WHERE study_id = 1), "
    "ok AS (SELECT n.next, s.change_counter FROM n, s WHERE NOT EXISTS (SELECT 1 FROM "
    "ceiling_trials WHERE study_id = 1 AND state = 'waiting') AND s.counted_trials < 1000000000)")
NOW_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
PARAMS = ("p AS (INSERT INTO ceiling_params SELECT t.trial_id, 'x' || g, random() "
          "FROM t, generate_series(0, 9) AS g)")
INSERT = (
    "WITH " + OK + ", t AS (INSERT INTO ceiling_trials (study_id, number, state, start_ms, "
    "owner, version, client_token, heartbeat_ms) SELECT 1, ok.next, 'running', " + NOW_MS +
    ", 'host:1', ok.change_counter, 'token', " + NOW_MS + " FROM ok RETURNING trial_id), " +
    PARAMS + ", c AS (UPDATE ceiling_studies SET counted_trials = counted_trials + 1 "
    "WHERE study_id = 1 AND EXISTS (SELECT 1 FROM t)) "
    "SELECT set_config('ceiling.trial', trial_id::text, false) FROM t;")
PLACEHOLDER = (
    "WITH i AS (SELECT nextval('ceiling_trials_trial_id_seq') AS id), "
    "t AS (INSERT INTO ceiling_trials (trial_id, study_id, number, state, start_ms, owner, "
    "version, client_token, heartbeat_ms) SELECT i.id, 1, -i.id, 'running', " + NOW_MS +
    ", 'host:1', -1, 'token', " + NOW_MS + " FROM i RETURNING trial_id), " + PARAMS +
    " SELECT set_config('ceiling.trial', trial_id::text, false) FROM t;")
TRIAL = "current_setting('ceiling.trial')::bigint"
NUMBER = (
    "WITH " + OK.replace("study_id = 1), ok", "study_id = 1 AND number >= 0), ok") +
    ", t AS (UPDATE ceiling_trials SET number = ok.next, "
    "version = ok.change_counter FROM ok WHERE trial_id = " + TRIAL + " RETURNING trial_id), "
    "d AS (DELETE FROM ceiling_trials WHERE trial_id = " + TRIAL +
    " AND NOT EXISTS (SELECT 1 FROM ok)), "
    "c AS (UPDATE ceiling_studies SET counted_trials = counted_trials + 1 "
    "WHERE study_id = 1 AND EXISTS (SELECT 1 FROM t)) SELECT trial_id FROM t;")
UNORDERED = (
    "WITH t AS (INSERT INTO ceiling_trials (study_id, number, state, start_ms, owner, version, "
    "client_token, heartbeat_ms) SELECT 1, nextval('ceiling_trials_trial_id_seq'), 'running', " +
    NOW_MS + ", 'host:1', 0, 'token', " + NOW_MS + " RETURNING trial_id), " + PARAMS +
    " SELECT set_config('ceiling.trial', trial_id::text, false) FROM t;")
TELL = (
    "\\startpipeline\n"
    "WITH t AS (UPDATE ceiling_trials SET state = 'complete', end_ms = " + NOW_MS +
    ", version = " + PENDING + " WHERE trial_id = " + TRIAL + " RETURNING trial_id) "
    "INSERT INTO ceiling_values SELECT trial_id, 0, random() FROM t;\n"
    "\\endpipeline\n")
# A study in progress: finished trials with their parameters and values, so that the plans
# pgbench prepares at its first run of a statement are the ones a study of that size gets.
HISTORY = """
INSERT INTO ceiling_trials (study_id, number, state, start_ms, end_ms, owner, version,
                            client_token, heartbeat_ms)
  SELECT 1, g, 'complete', g, g, 'host:1', g, 'token', g FROM generate_series(0, {n} - 1) AS g;
INSERT INTO ceiling_params SELECT trial_id, 'x' || p, random() FROM ceiling_trials,
  generate_series(0, 9) AS p;
INSERT INTO ceiling_values SELECT trial_id, 0, random() FROM ceiling_trials;
UPDATE ceiling_studies SET change_counter = {n}, counted_trials = {n};
UPDATE ceiling_counters SET change_counter = {n}, counted_trials = {n};
"""


# The same ask whole in one statement after the lock (src/storage/postgres_rows.cc,
# ask_ahead_statement): the new version and the count in one update of the study's row, the
# stamp, the checks and the insert.
ONE_STATEMENT = (
    "WITH d AS (SELECT s.study_id, n.next, w.waiting, NOT w.waiting "
    "AND s.counted_trials < 1000000000 AS to_insert FROM ceiling_studies s, "
    "(SELECT COALESCE(MAX(number) + 1, 0) AS next FROM ceiling_trials WHERE study_id = 1) n, "
    "(SELECT " + WAITING + " AS waiting) w WHERE s.study_id = 1), "
    "c AS (UPDATE ceiling_studies SET change_counter = change_counter + 1, "
    "counted_trials = counted_trials + CASE WHEN d.to_insert THEN 1 ELSE 0 END FROM d "
    "WHERE ceiling_studies.study_id = d.study_id RETURNING ceiling_studies.study_id, "
    "change_counter, counted_trials, d.next, d.waiting, d.to_insert), "
    "stamp AS (UPDATE ceiling_trials SET version = (SELECT change_counter FROM c) "
    "WHERE study_id = (SELECT study_id FROM c) AND version = " + PENDING + "), "
    "ok AS (SELECT next, change_counter FROM c WHERE c.to_insert), "
    "t AS (INSERT INTO ceiling_trials (study_id, number, state, start_ms, owner, version, "
    "client_token, heartbeat_ms) SELECT 1, ok.next, 'running', " + NOW_MS + ", 'host:1', "
    "ok.change_counter, 'token', " + NOW_MS + " FROM ok RETURNING trial_id), " + PARAMS + " "
    "SELECT c.counted_trials, c.waiting, t.trial_id, set_config('ceiling.trial', "
    "t.trial_id::text, false) FROM c LEFT JOIN t ON true;")


# The serial section without the parameters: the same checks, count, stamp and the trial's row
# alone, committed; the parameters (drawn once the number is known) follow in a transaction of
# their own that marks the trial pending, as a tell does, so readers take it again.
RESERVE = ONE_STATEMENT.replace(", " + PARAMS + " ", " ")
PARAMS_AFTER = (
    "\\startpipeline\n"
    "WITH " + PARAMS.replace("FROM t,", "FROM (SELECT " + TRIAL + " AS trial_id) t,") +
    " UPDATE ceiling_trials SET version = " + PENDING + " WHERE trial_id = " + TRIAL + ";\n"
    "\\endpipeline\n")


# A block: one serial section reserves BLOCK trials (the budget's count and a new version, with
# the stamp), then each of them is inserted with no lock, pending until the next section stamps
# it, and told: the study's ordering paid once per BLOCK trials.
BLOCK = 8
RESERVE_BLOCK = NEW_VERSION_AND_STAMP.replace(
    "change_counter = change_counter + 1", "change_counter = change_counter + 1, "
    "counted_trials = counted_trials + %d" % BLOCK)
PENDING_INSERT = UNORDERED.replace("'host:1', 0, 'token'", "'host:1', " + PENDING + ", 'token'")


def transaction(*statements):
    return "\\startpipeline\nBEGIN;\n" + "\n".join(statements) + "\nCOMMIT;\n\\endpipeline\n"


SHAPES = {
    "lock": transaction(LOCK, NEW_VERSION_AND_STAMP),
    "ask": transaction(LOCK, NEW_VERSION_AND_STAMP, NEXT_AND_WAITING, INSERT) + TELL,
    "ask_one_statement": transaction(LOCK, ONE_STATEMENT) + TELL,
    "reserve": transaction(LOCK, RESERVE) + PARAMS_AFTER + TELL,
    "params_first": transaction(PLACEHOLDER, LOCK, NEW_VERSION_AND_STAMP,
                                NUMBERED_NEXT_AND_WAITING, NUMBER) + TELL,
    "unordered": transaction("SELECT " + WAITING + ";", UNORDERED) + TELL,
    "block": transaction(LOCK, RESERVE_BLOCK) + BLOCK * (
        "\\startpipeline\n" + PENDING_INSERT + "\n\\endpipeline\n" + TELL),
}
# Trials each run of a shape's script makes.
TRIALS_PER_SCRIPT = {"block": BLOCK}
# The same two shapes with the study's version and count on a row of their own, which no trial
# refers to: a trial inserted before the lock then takes its key-share lock on a row that no
# ask updates.
for _shape in ("ask", "params_first"):
    SHAPES[_shape + "_counters_apart"] = SHAPES[_shape].replace(
        "UPDATE ceiling_studies", "UPDATE ceiling_counters").replace(
        "FROM ceiling_studies", "FROM ceiling_counters")


def pgbench_binary():
    found = shutil.which("pgbench")
    candidate = "/usr/lib/postgresql/15/bin/pgbench"
    if os.path.exists(candidate):
        return candidate
    if found:
        return found
    sys.exit("serial_ceiling.py: pgbench not found (Debian: postgresql-15)")


def run_shape(url, shape, clients, seconds, history, folder):
    throughput.psql(url, SCHEMA + HISTORY.format(n=history))
    throughput.psql(url, "VACUUM ANALYZE")
    script = os.path.join(folder, shape + ".sql")
    with open(script, "w") as f:
        f.write(SHAPES[shape])
    result = subprocess.run([pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients),
                             "-j", str(min(clients, os.cpu_count() or 1)), "-T", str(seconds),
                             "-f", script, url], capture_output=True, text=True)
    tps = re.search(r"^tps = ([0-9.]+)", result.stdout, re.MULTILINE)
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    if result.returncode != 0 or not tps or (failed and int(failed.group(1)) > 0):
        sys.exit("serial_ceiling.py: pgbench failed on %s with %d clients:\n%s%s" %
                 (shape, clients, result.stdout[-2000:], result.stderr[-2000:]))
    latency = re.search(r"^latency average = ([0-9.]+) ms", result.stdout, re.MULTILINE)
    trials = int(throughput.psql(url, "SELECT count(*) FROM ceiling_trials"))
    per_script = TRIALS_PER_SCRIPT.get(shape, 1)
    return {"tps": round(float(tps.group(1)), 1),
            "trials_per_second": round(float(tps.group(1)) * per_script, 1),
            "latency_ms": float(latency.group(1)) if latency else None,
            "trials_made": trials - history}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--clients", default="1,4,16,64")
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--history", type=int, default=10000,
                        help="finished trials in the study before each run")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    shapes = args.shapes.split(",")
    for shape in shapes:
        if shape not in SHAPES:
            sys.exit("serial_ceiling.py: unknown shape %r (%s)" % (shape, ", ".join(SHAPES)))
    stamp = throughput.provenance(sys.argv)
    server_dir = tempfile.mkdtemp(prefix="winnow-ceiling-")
    folder = tempfile.mkdtemp(prefix="winnow-ceiling-scripts-")
    try:
        subprocess.run(["bash", throughput.SERVER_SCRIPT, "start", server_dir], check=True,
                       capture_output=True)
        with open(os.path.join(server_dir, "url")) as f:
            url = f.read().strip()
        version = throughput.psql(url, "SHOW server_version")
        durability = {name: throughput.psql(url, "SHOW " + name)
                      for name in ("fsync", "synchronous_commit", "full_page_writes")}
        with open(args.out, "a") as out:
            for round_number in range(1, args.rounds + 1):
                for clients in (int(c) for c in args.clients.split(",")):
                    for shape in shapes:
                        record = {**stamp, "shape": shape, "clients": clients,
                                  "seconds": args.seconds, "round": round_number,
                                  "history": args.history,
                                  "cores": os.cpu_count(), "postgres_version": version,
                                  "postgres_durability": durability}
                        record.update(run_shape(url, shape, clients, args.seconds,
                                                args.history, folder))
                        out.write(json.dumps(record) + "\n")
                        out.flush()
    finally:
        subprocess.run(["bash", throughput.SERVER_SCRIPT, "stop", server_dir], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
