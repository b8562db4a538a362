# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""The floor of throughput.py: the same loop with nothing that orders the processes.

Every trial makes the round trips that Winnow's random sampling makes on a server that does not
flush, with none of the study-wide work: no lock, no trial numbers, no versions, no budget. The
ask reads whether a trial waits (one round trip), then inserts the trial's row and its
parameters' rows and commits (a second); the tell updates the trial's row and commits (a third).
Every statement is prepared once per connection, as Winnow's are, and the processes run the same
Python loop (throughput.py's worker), through psycopg2 on libpq. As Winnow's, a trial's row
refers to its study's, so every insert takes a share lock on that row; share locks do not wait
for each other.

So at P processes it measures what this machine does with P clients and P server processes
exchanging those round trips, where nothing waits for anything else: what the machine, not the
study's lock, allows. throughput.py runs it as the library "floor", beside Winnow; the share of
the floor a library reaches, across process counts, tells where the database's ordering costs.

It offers only what throughput.py calls, spelled as Optuna spells it.
"""

import random

import psycopg2

__version__ = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS floor_studies (study_id bigserial PRIMARY KEY, name text UNIQUE);
CREATE TABLE IF NOT EXISTS floor_trials (
  trial_id bigserial PRIMARY KEY, study_id bigint NOT NULL REFERENCES floor_studies,
  state text NOT NULL, value float8, start_ms bigint);
CREATE INDEX IF NOT EXISTS floor_trials_study_state ON floor_trials (study_id, state);
CREATE TABLE IF NOT EXISTS floor_params (
  trial_id bigint NOT NULL REFERENCES floor_trials, name text NOT NULL, value float8 NOT NULL,
  PRIMARY KEY (trial_id, name));
"""

_PREPARED = [
    "PREPARE floor_waiting (bigint) AS SELECT EXISTS (SELECT 1 FROM floor_trials "
    "WHERE study_id = $1 AND state = 'waiting')",
    "PREPARE floor_insert (bigint, text[], float8[]) AS WITH t AS (INSERT INTO floor_trials "
    "(study_id, state, start_ms) VALUES ($1, 'running', "
    "(extract(epoch FROM clock_timestamp()) * 1000)::bigint) RETURNING trial_id), "
    "p AS (INSERT INTO floor_params SELECT t.trial_id, u.* FROM t, unnest($2, $3) AS u) "
    "SELECT trial_id FROM t",
    "PREPARE floor_tell (bigint, float8) AS UPDATE floor_trials SET state = 'complete', "
    "value = $2 WHERE trial_id = $1",
]

# The parameters each ask draws, named as throughput.py's objective asks for them.
_NAMES = [f"x{i}" for i in range(10)]
_LOW, _HIGH = -5.0, 5.0


class logging:  # noqa: N801 (spelled as Optuna's module)
    WARNING = 30

    @staticmethod
    def set_verbosity(level):
        del level


class trial:  # noqa: N801
    class TrialState:
        COMPLETE = "complete"


class samplers:  # noqa: N801
    class RandomSampler:
        def __init__(self, seed=None):
            self.rng = random.Random(seed)


class Trial:
    def __init__(self, trial_id, values):
        self.trial_id = trial_id
        self._values = values

    def suggest_float(self, name, low, high):
        if (low, high) != (_LOW, _HIGH) or name not in self._values:
            raise ValueError(f"floor: only {_NAMES[0]}..{_NAMES[-1]} in [{_LOW}, {_HIGH}]")
        return self._values[name]


class Study:
    def __init__(self, connection, study_id, sampler):
        self._connection = connection
        self._cursor = connection.cursor()
        self._study_id = study_id
        self._rng = (sampler or samplers.RandomSampler()).rng
        for statement in _PREPARED:
            self._cursor.execute(statement)

    def ask(self):
        self._cursor.execute("EXECUTE floor_waiting (%s)", (self._study_id,))
        self._cursor.fetchone()
        values = {name: self._rng.uniform(_LOW, _HIGH) for name in _NAMES}
        self._cursor.execute("EXECUTE floor_insert (%s, %s, %s)",
                             (self._study_id, list(values), list(values.values())))
        return Trial(self._cursor.fetchone()[0], values)

    def tell(self, asked, value):
        self._cursor.execute("EXECUTE floor_tell (%s, %s)", (asked.trial_id, value))

    def get_trials(self, deepcopy=False, states=None):
        del deepcopy
        wanted = [trial.TrialState.COMPLETE] if states is None else list(states)
        self._cursor.execute("SELECT count(*) FROM floor_trials WHERE study_id = %s AND "
                             "state = ANY(%s)", (self._study_id, wanted))
        return [None] * self._cursor.fetchone()[0]


def create_study(storage, study_name, sampler=None, direction="minimize", load_if_exists=True):
    del direction, load_if_exists
    connection = psycopg2.connect(storage)
    connection.autocommit = True  # each statement its own transaction: one round trip
    cursor = connection.cursor()
    cursor.execute("SELECT to_regclass('floor_trials') IS NOT NULL")
    if not cursor.fetchone()[0]:
        cursor.execute(_SCHEMA)  # the parent opens the study before any worker starts
    cursor.execute("INSERT INTO floor_studies (name) VALUES (%s) ON CONFLICT (name) DO UPDATE "
                   "SET name = EXCLUDED.name RETURNING study_id", (study_name,))
    return Study(connection, cursor.fetchone()[0], sampler)
