// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Multi-fidelity end to end: the real `winnow` binary runs a real training-like program that
// reports epochs and keeps a checkpoint, under ASHA, Hyperband and the median pruner, including a
// kill -9 in the middle of a run and its resume.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include <sqlite3.h>

#include "e2e/e2e_util.h"
#include "e2e/trainer_util.h"

namespace winnow::e2e {
namespace {

// How many trials of the study have finished, read from the SQLite file while `winnow` writes
// it (WAL: a reader does not block the writer); -1 while it cannot be read yet.
int finished_trials(const std::string& db) {
  sqlite3* handle = nullptr;
  int count = -1;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(handle, 1000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(handle,
                           "SELECT count(*) FROM trials WHERE state IN "
                           "('complete', 'pruned', 'failed')",
                           -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      count = sqlite3_column_int(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(handle);
  return count;
}

TEST(MultiFidelity, AshaAndHyperbandResumeAfterKillNineWithoutLosingOrRepeatingPromotions) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("kill instants drawn with seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  for (const std::string scheduler : {"asha", "hyperband"}) {
    ScratchDir dir;
    write_file(dir.path() / "train.py", kTrainer);
    write_file(dir.path() / "study.toml", study_file(scheduler, 70, 4));
    const std::string db = (dir.path() / "study.db").string();
    Process winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
    // The kill lands once a random number of the 70 trials have finished, well before the
    // last: measured in trials, not seconds, so it interrupts a running study on a fast
    // machine and on a loaded one that takes seconds to start a sanitizer build.
    const int kill_after = std::uniform_int_distribution<int>(3, 40)(rng);
    for (int waited = 0; finished_trials(db) < kill_after && waited < 3000; ++waited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    winnow.signal(SIGKILL);
    EXPECT_EQ(winnow.wait().signal, SIGKILL);
    ASSERT_TRUE(fs::exists(db));
    size_t before = export_trials(dir.path(), db, "mf").size();
    EXPECT_GT(before, 0u);

    Result resumed = run_winnow(dir.path(), {"resume", (dir.path() / "study.toml").string()});
    ASSERT_EQ(resumed.exit_code, 0) << scheduler << "\n" << resumed.err;
    std::vector<nlohmann::json> rows = export_trials(dir.path(), db, "mf");
    expect_consistent_rungs(rows);
    int live = 0, continuations = 0;
    for (const auto& row : rows) {
      live += row["state"] == "complete";
      continuations += row["user_attrs"].contains("winnow.continues");
    }
    EXPECT_EQ(live, 70) << scheduler;
    EXPECT_GT(continuations, 5) << scheduler;
    EXPECT_NE(resumed.out.find("at budget"), std::string::npos) << resumed.out;
  }
}

TEST(MultiFidelity, MedianPrunerStopsLosingCommandTrialsAndKeepsTheirLastValue) {
  ScratchDir dir;
  write_file(dir.path() / "train.py", kTrainer);
  write_file(dir.path() / "study.toml",
             study_file("median:startup_trials=3,warmup_steps=2", 16, 1,
                        "[budget]\nmin = 1\nmax = 15\n"));
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> rows =
      export_trials(dir.path(), (dir.path() / "study.db").string(), "mf");
  ASSERT_EQ(rows.size(), 16u);
  int pruned = 0;
  for (const auto& row : rows) {
    if (row["state"] != "pruned") {
      EXPECT_EQ(row["state"], "complete") << row.dump();
      EXPECT_EQ(row["intermediate"].size(), 15u) << row.dump();
      continue;
    }
    ++pruned;
    const auto& steps = row["intermediate"];
    ASSERT_FALSE(steps.empty());
    EXPECT_LT(steps.size(), 15u) << "a pruned trial stops before its last epoch";
    EXPECT_GE(steps.size(), 2u) << "no pruning before step 2 (warmup_steps = 2)";
    EXPECT_EQ(row["values"][0], steps[std::to_string(steps.size())]) << row.dump();
  }
  EXPECT_GT(pruned, 0) << run.err;
  EXPECT_NE(run.err.find("pruned at step"), std::string::npos) << run.err;
}

// The README's example: a real SGD training program with checkpoints, under ASHA.
TEST(MultiFidelity, ReadmeExampleRunsUnderAshaAndResumesFromCheckpoints) {
  ScratchDir dir;
  const fs::path example = fs::path(WINNOW_SOURCE_DIR) / "examples" / "multifidelity";
  for (const char* name : {"train.py", "study.toml"}) {
    fs::copy_file(example / name, dir.path() / name);
  }
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string(), "--trials",
                                       "24", "--jobs", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> rows =
      export_trials(dir.path(), (dir.path() / "study.db").string(), "multifidelity");
  ASSERT_EQ(rows.size(), 24u);
  expect_consistent_rungs(rows);
  int continued = 0;
  for (const auto& row : rows) {
    if (!row["user_attrs"].contains("winnow.continues")) continue;
    ++continued;
    // A continuation trains only the epochs its checkpoint lacks.
    int budget = static_cast<int>(attr(row, "winnow.budget"));
    int previous = static_cast<int>(attr(row, "winnow.previous_budget"));
    EXPECT_EQ(row["intermediate"].size(), static_cast<size_t>(budget - previous)) << row.dump();
    EXPECT_TRUE(row["intermediate"].contains(std::to_string(previous + 1))) << row.dump();
  }
  EXPECT_GT(continued, 2);
  EXPECT_NE(run.out.find("Trials per budget"), std::string::npos) << run.out;
}

TEST(MultiFidelity, IllFormedReportLinesAreNamedAndIgnored) {
  ScratchDir dir;
  write_file(dir.path() / "noisy.py",
             "print('winnow: step=x value=1')\nprint('winnow: step=2 value=0.5')\nprint(0.25)\n");
  write_file(dir.path() / "study.toml", R"([study]
name = "noisy"
trials = 1
[objective]
command = ["python3", "noisy.py", "{x}"]
[space]
x = { type = "float", low = 0.0, high = 1.0 }
)");
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("winnow: trial 0: ignored ill-formed report line 1 of standard output: "
                         "\"winnow: step=x value=1\""),
            std::string::npos)
      << run.err;
  std::vector<nlohmann::json> rows =
      export_trials(dir.path(), (dir.path() / "study.db").string(), "noisy");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["state"], "complete");
  EXPECT_EQ(rows[0]["values"][0], 0.25);
  EXPECT_EQ(rows[0]["intermediate"].size(), 1u);
}

TEST(MultiFidelity, AQueuedConfigurationRanksAmongFullBudgetTrialsAndTheLadderCannotChange) {
  ScratchDir dir;
  write_file(dir.path() / "train.py", kTrainer);
  const std::string budget = "[budget]\nname = \"epochs\"\nmin = 1\nmax = 9\neta = 3\n";
  // A poor configuration queued first: it ran at the full budget without saying so, and was
  // then ranked above every trial that reached that budget.
  write_file(dir.path() / "study.toml",
             study_file("hyperband", 30, 1, budget) + "\n[[enqueue]]\nx = 0.95\ny = 0.05\n");
  const std::string file = (dir.path() / "study.toml").string();
  const std::string db = (dir.path() / "study.db").string();
  Result run = run_winnow(dir.path(), {"run", file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> rows = export_trials(dir.path(), db, "mf");
  ASSERT_EQ(rows.size(), 30u);
  ASSERT_EQ(rows[0]["params"]["x"], 0.95);
  EXPECT_EQ(attr(rows[0], "winnow.budget"), 9);
  int best = -1, at_full = 0;
  for (const auto& row : rows) {
    if (row["state"] != "complete" || attr(row, "winnow.budget") != 9) continue;
    ++at_full;
    if (best < 0 || row["values"][0] < rows[best]["values"][0]) best = row["number"].get<int>();
  }
  ASSERT_GT(at_full, 1);
  ASSERT_NE(best, 0);
  Result shown = run_winnow(dir.path(), {"show", db});
  EXPECT_NE(shown.out.find("Best trial: #" + std::to_string(best) + " "), std::string::npos)
      << shown.out;

  // Another [budget] on resume would read the stored rungs on another ladder.
  write_file(dir.path() / "study.toml",
             study_file("hyperband", 32, 1, "[budget]\nname = \"epochs\"\nmin = 1\nmax = 27\n"));
  Result changed = run_winnow(dir.path(), {"resume", file});
  EXPECT_EQ(changed.exit_code, 2) << changed.err;
  EXPECT_NE(changed.err.find("[budget] max 9 -> 27"), std::string::npos) << changed.err;
  write_file(dir.path() / "study.toml", study_file("asha", 32, 1, budget));
  Result other = run_winnow(dir.path(), {"resume", file});
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_NE(other.err.find("scheduler hyperband -> asha"), std::string::npos) << other.err;
  EXPECT_EQ(export_trials(dir.path(), db, "mf").size(), 30u);
}

TEST(MultiFidelity, ARetryTakesTheFailedAttemptsPlaceOnItsRung) {
  // Both were counted: a rung of nine got eight configurations and one promotion too few.
  ScratchDir dir;
  write_file(dir.path() / "flaky.py",
             "import os, sys\nx, budget = float(sys.argv[1]), int(sys.argv[2])\n"
             "print('winnow: step=1 value=%f' % x, flush=True)\n"
             "if os.environ['WINNOW_TRIAL'] in ('1', '10'):\n    sys.exit(3)\n"
             "print(x + 1.0 / budget)\n");
  write_file(dir.path() / "study.toml", R"([study]
name = "flaky"
scheduler = "sh"
seed = 1
trials = 15
fail_fast = 0
[budget]
min = 1
max = 9
eta = 3
[objective]
command = ["python3", "flaky.py", "{x}", "{budget}"]
retries = 1
[space]
x = { type = "float", low = 0.0, high = 1.0 }
)");
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> rows =
      export_trials(dir.path(), (dir.path() / "study.db").string(), "flaky");
  std::set<int64_t> retried;
  for (const auto& row : rows) {
    if (!row["retry_of"].is_null()) retried.insert(row["retry_of"].get<int64_t>());
  }
  ASSERT_EQ(retried.size(), 2u);
  std::map<int, std::set<double>> configurations;  // rung of the first round -> its x values
  for (const auto& row : rows) {
    if (retried.contains(row["number"].get<int64_t>()) || attr(row, "winnow.bracket") != 0) {
      continue;
    }
    configurations[static_cast<int>(attr(row, "winnow.rung"))].insert(
        row["params"]["x"].get<double>());
  }
  EXPECT_EQ(configurations[0].size(), 9u);
  EXPECT_EQ(configurations[1].size(), 3u);
  EXPECT_EQ(configurations[2].size(), 1u);
}

TEST(MultiFidelity, ARunWhoseLossTurnsNaNIsPruned) {
  // NaN report lines were dropped as ill-formed, so no pruner ever saw a diverged run.
  ScratchDir dir;
  write_file(dir.path() / "diverge.py",
             "import time\nprint('winnow: step=1 value=1.0', flush=True)\n"
             "for step in range(2, 40):\n"
             "    time.sleep(0.05)\n"
             "    print('winnow: step=%d value=nan' % step, flush=True)\n"
             "print(1.0)\n");
  write_file(dir.path() / "study.toml", R"([study]
name = "nan"
trials = 1
scheduler = "threshold:upper=100"
[objective]
command = ["python3", "diverge.py", "{x}"]
[space]
x = { type = "float", low = 0.0, high = 1.0 }
)");
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> rows =
      export_trials(dir.path(), (dir.path() / "study.db").string(), "nan");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["state"], "pruned") << rows[0].dump();
  EXPECT_LT(rows[0]["intermediate"].size(), 39u);
  EXPECT_EQ(run.err.find("ill-formed"), std::string::npos) << run.err;
}

TEST(MultiFidelity, BudgetSchedulerWithoutBudgetIsAClearError) {
  ScratchDir dir;
  write_file(dir.path() / "train.py", kTrainer);
  write_file(dir.path() / "study.toml", study_file("asha", 5, 1, ""));
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("study.toml:4"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("[budget]"), std::string::npos) << run.err;
  // The ladder's keys given to the scheduler: once "it takes no options", though it takes
  // min_points.
  write_file(dir.path() / "study.toml", study_file("sh:eta=2", 5, 1));
  Result eta = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(eta.exit_code, 2) << eta.err;
  EXPECT_NE(eta.err.find("option 'eta' belongs to the study's [budget] section"),
            std::string::npos)
      << eta.err;
  write_file(dir.path() / "study.toml", study_file("threshold:lower=nan", 5, 1));
  Result nan_bound = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(nan_bound.exit_code, 2) << nan_bound.err;
  EXPECT_NE(nan_bound.err.find("option lower = 'nan' must be a number"), std::string::npos)
      << nan_bound.err;
}

}  // namespace
}  // namespace winnow::e2e
